// The cost stage of a sweep point ([hardware] cost = true): the catalog unit that multiplies the point's weight x
// activation formats, costed by mxlab::cost (rtl/cost/cost.hpp: synthesis, gate-level energy, content-hash cache).
#pragma once
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "experiments/point_stage.hpp"
#include "rtl/cost/cost.hpp"

namespace mxlab::experiments {

// The unit for a point: one with a format pair whose weight side is the point's `weights` and whose other side is
// the point's `acts` (any partner when acts is "none" or "fp32", as `mxlab cost` pairs them: unit_formats); block-dot
// units also need the formats' default blocks. With `units` ([hardware] units) the first that fits; without, the
// catalog's most specialized one (fewest formats, then catalog order: mxfp4_dot, not mx_dot_any). VQ weights: the
// VQ MAC of their codebook shape (vq2_d2 -> vq_mac, vq4_d1 -> vq_mac_d1k16). None: `reason` (VQ: the (D, K) needed).
struct UnitChoice {
  std::optional<cost::UnitFormat> unit;
  std::string reason;
};
UnitChoice choose_unit(const SweepPoint& p, const std::vector<std::string>& units);

// Metrics cost.area_um2, cost.cells, cost.flops, cost.nand2_eq, cost.critical_path_ns, cost.max_clock_mhz,
// cost.pj_per_mac (real stories260K operands), cost.pj_per_mac_random (random_operands = true); attributes cost.unit,
// cost.formats ("W x A" as the unit multiplies them), cost.flow (liberty, clock, vectors, operands), cost.cached
// ("yes" when synthesis and every energy came from the cache). A point no unit multiplies gets NaN metrics and
// cost.unit = "none", cost.reason; it does not fail. Liberty and clock: [hardware] liberty, clock_mhz (default 100).
class CostStage : public PointStage {
 public:
  explicit CostStage(std::string cache_dir = "") : cache_dir_(std::move(cache_dir)) {}
  std::string_view name() const override { return "cost"; }
  bool hardware_only() const override { return true; }
  void run(const StageContext& ctx, PointRecord& rec) const override;
  // The run_cost options the stage uses for `unit` (operands loaded once per stage, from the spec's data dir).
  cost::CostOptions options(const SweepSpec& spec, const cost::UnitFormat& unit) const;

 private:
  std::string cache_dir_;
  mutable std::once_flag loaded_;
  mutable cost::Operands real_;
};

}  // namespace mxlab::experiments
