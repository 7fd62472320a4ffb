// The accelerator stage: the point's formats on the configured architecture; accel.* metrics and attributes.
#include "experiments/accel_stage.hpp"

#include <cmath>
#include <limits>

#include "experiments/cost_stage.hpp"
#include "formats/format.hpp"

namespace mxlab::experiments {

void AccelStage::run(const StageContext& ctx, PointRecord& rec) const {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const HardwareSpec& h = ctx.spec.hardware;
  std::call_once(loaded_, [&] {
    arch_ = sim::load_arch(h.accelerator);
    shape_ = h.accel_shape.empty() ? sim::read_shape(ctx.spec.session.model) : sim::named_shape(h.accel_shape);
  });
  auto& m = rec.metrics;
  for (const char* k : {"accel.cycles", "accel.utilization", "accel.dram_bytes", "accel.stall_dram_cycles",
                        "accel.roofline_cycles", "accel.uj_per_token"})
    m[k] = nan;
  rec.attrs["accel.arch"] = arch_.name;
  sim::WorkloadOptions o;
  o.phase = sim::parse_phase(h.accel_phase), o.seq = h.accel_seq, o.batch = h.accel_batch;
  const FormatTraits& w = find_format(ctx.point.weights);
  o.weights = w.id;
  const bool has_acts = ctx.point.acts != "none" && ctx.point.acts != "fp32";
  o.acts = has_acts ? find_format(ctx.point.acts).id : arch_.acts;
  if (!has_acts && w.family == Family::vq)  // no block dot takes VQ weights: the activations the VQ unit takes
    if (const UnitChoice c = choose_unit(ctx.point, {}); c.unit) o.acts = c.unit->act;
  if (ctx.point.block != "0" || (has_acts && ctx.point.act_block != "0")) {
    rec.attrs["accel.unit"] = "none";
    rec.attrs["accel.reason"] = "the PEs take the formats' default blocks (block " + ctx.point.block + ")";
    return;
  }
  sim::SimResult r;
  try {
    r = sim::simulate_layer(arch_, shape_, o, AccFormat::parse(ctx.point.acc));
  } catch (const std::invalid_argument& e) {  // no PE multiplies the formats, or they do not fit the buffers
    rec.attrs["accel.unit"] = "none";
    rec.attrs["accel.reason"] = e.what();
    return;
  }
  m["accel.cycles"] = double(r.counters.cycles);
  m["accel.utilization"] = r.utilization();
  m["accel.dram_bytes"] = r.counters.dram_read + r.counters.dram_write;
  m["accel.stall_dram_cycles"] = double(r.counters.stall_dram);
  m["accel.roofline_cycles"] = r.roofline.cycles();
  const auto unit = rec.attrs.find("cost.unit");
  if (unit != rec.attrs.end() && unit->second == r.pe.unit && !std::isnan(rec.metric("cost.pj_per_mac"))) {
    const sim::Energy e = sim::compose_energy(r, rec.metric("cost.pj_per_mac"), "the cost stage's cost.pj_per_mac");
    m["accel.uj_per_token"] = e.total_pj() * 1e-6 / double(r.tokens);
  }
  rec.attrs["accel.unit"] = r.pe.unit;
  rec.attrs["accel.formats"] = std::string(traits(o.weights).name) + " x " + traits(o.acts).name;
  rec.attrs["accel.workload"] = r.workload;
}

}  // namespace mxlab::experiments
