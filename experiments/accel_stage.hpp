// The accelerator stage of a sweep point ([hardware] accelerator = "array32" | "path/to/arch.toml"): one Llama
// decoder layer of the point's formats on the SystemC accelerator (sim/simulate.hpp), transaction level.
#pragma once
#include <mutex>
#include <optional>

#include "experiments/point_stage.hpp"
#include "sim/simulate.hpp"

namespace mxlab::experiments {

// Metrics accel.cycles, accel.utilization, accel.dram_bytes, accel.stall_dram_cycles, accel.roofline_cycles,
// accel.uj_per_token (energy: the cost stage's cost.pj_per_mac when it costed the same unit the accelerator's PE is,
// else NaN: never guessed); attributes accel.arch, accel.unit, accel.formats ("W x A"), accel.workload. The layer:
// [hardware] accel_shape (a named shape; default: the sweep model's own shape), accel_phase (prefill | decode),
// accel_seq, accel_batch. Activations of a point without an activation format: the architecture's [formats] acts
// (VQ weights: the activation format the catalog's VQ unit takes, int8; the VQ MAC PE is transaction level only).
// A point no PE multiplies (or with a non-default block) gets NaN metrics, accel.unit = "none" and accel.reason.
class AccelStage : public PointStage {
 public:
  std::string_view name() const override { return "accel"; }
  bool hardware_only() const override { return true; }
  void run(const StageContext& ctx, PointRecord& rec) const override;

 private:
  mutable std::once_flag loaded_;
  mutable sim::ArchConfig arch_;
  mutable sim::LlamaShape shape_;
};

}  // namespace mxlab::experiments
