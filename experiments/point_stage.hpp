// One point's record (config, provenance, metrics, per-layer table) and the stages that fill it: PTQ + evaluation
// now; cost (area, energy/MAC) and accelerator (cycles, energy/token) stages plug in beside it and add columns.
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/ptq_run.hpp"
#include "experiments/sweep_spec.hpp"

namespace mxlab::experiments {

// Per-layer details: one row per layer, named columns of text and of numbers.
struct LayerTable {
  std::vector<std::string> names;
  std::map<std::string, std::vector<std::string>> text;   // e.g. "weights": the format each layer got
  std::map<std::string, std::vector<double>> numbers;     // e.g. "bits_per_weight", "rows", "cols", "bits"
};

struct PointRecord {
  std::string name;        // SweepPoint::name(): the group and file name
  std::size_t index = 0;   // position in the spec
  nlohmann::json config;   // {"point": .., "session": .., "hardware": ..}: what identifies the computation
  // Provenance and outcome: status ("ok" | "failed"), error, start_time, end_time, host, git_commit, spec_sha256.
  std::map<std::string, std::string> attrs;
  // Scalar results by column name: "bits_per_weight", "<text>.ppl", "<text>.kld_mean", later "cost.area_um2", ...
  std::map<std::string, double> metrics;
  LayerTable layers;   // per quantized linear
  LayerTable blocks;   // per decoder layer (layer_errors.hpp); empty for failed points and older files

  bool ok() const { return attrs.count("status") && attrs.at("status") == "ok"; }
  double metric(const std::string& key) const;  // NaN when absent
};

// What every stage of a point sees.
struct StageContext {
  const SweepSpec& spec;
  const algorithms::PtqSession& session;
  const SweepPoint& point;
  algorithms::PtqLog log;
};

class PointStage {
 public:
  virtual ~PointStage() = default;
  virtual std::string_view name() const = 0;
  // Adds metrics/layers to `rec`; throws on failure (the runner records the error and goes on).
  virtual void run(const StageContext& ctx, PointRecord& rec) const = 0;
  // True for a stage that reads only [hardware] and the point's settings, never the PTQ results, and writes only
  // metrics/attributes named "cost.*" or "accel.*": when a stored ok point differs from the spec only in [hardware],
  // the runner keeps its PTQ results and reruns just these stages.
  virtual bool hardware_only() const { return false; }
};

// PTQ (algorithms::run_ptq with the point's pipeline and scheme) then evaluation on every session text against
// FP32: metrics bits_per_weight, weight_bits, weight_count, calib_tokens, ptq_seconds and per text <t>.ppl,
// <t>.ref_ppl, <t>.nll, <t>.kld_mean, <t>.kld_median, <t>.kld_p999, <t>.kld_max, <t>.top1, <t>.tokens; layers
// with weights, rows, cols, bits, bits_per_weight; blocks (per decoder layer: block_table in layer_errors.hpp).
class PtqEvalStage : public PointStage {
 public:
  std::string_view name() const override { return "ptq+eval"; }
  void run(const StageContext& ctx, PointRecord& rec) const override;
};

// The stages the spec asks for, in order: ptq+eval, then cost when [hardware] cost = true (cost_stage.hpp), then
// accel when [hardware] accelerator is set (accel_stage.hpp).
std::vector<std::unique_ptr<PointStage>> make_stages(const SweepSpec& spec);

}  // namespace mxlab::experiments
