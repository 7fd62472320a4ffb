// The cost stage: pick the point's unit, call run_cost (cached), add cost.* metrics and attributes.
#include "experiments/cost_stage.hpp"

#include <cstdio>
#include <filesystem>
#include <limits>

#include "formats/format.hpp"
#include "rtl/cost/model_operands.hpp"

namespace mxlab::experiments {

namespace {
// For a VQ weight format: its (D, K) and those of the catalog's VQ units, so a point no unit takes says what would.
std::string vq_shapes(const std::string& weights) {
  for (const FormatTraits& t : format_table()) {
    if (t.name != weights || t.family != Family::vq) continue;
    std::string s;
    for (const std::string& n : rtl::unit_names(rtl::UnitKind::vq_mac)) {
      const rtl::UnitConfig& u = rtl::unit_config(n);
      s += (s.empty() ? "" : ", ") + n + " (" + std::to_string(u.param("D")) + ", " +
           std::to_string(1 << u.param("IDX_BITS")) + ")";
    }
    return "; a VQ unit holds one codebook shape (D, K): " + weights + " needs (" + std::to_string(t.vq_dim) + ", " +
           std::to_string(1 << (t.vq_bits * t.vq_dim)) + "), the catalog has " + s;
  }
  return "";
}
}  // namespace

UnitChoice choose_unit(const SweepPoint& p, const std::vector<std::string>& units) {
  const bool any_act = p.acts == "none" || p.acts == "fp32";
  const std::vector<std::string> names = units.empty() ? rtl::unit_names() : units;
  std::string takes;  // what the units multiplying the weight format pair it with
  std::optional<cost::UnitFormat> best;
  std::size_t best_formats = 0;
  for (const std::string& name : names) {
    const rtl::UnitConfig& u = rtl::unit_config(name);
    const std::vector<cost::UnitFormat> formats = cost::unit_formats(u);
    for (const cost::UnitFormat& uf : formats) {
      if (!uf.in_table || uf.name != p.weights) continue;
      const std::string act = traits(uf.act).name;
      takes += (takes.empty() ? "" : ", ") + name + " (" + uf.name + " x " + act + ")";
      if (!any_act && act != p.acts) continue;
      // a block dot is built for the format's default block: a point with another block is not what it computes
      const std::string lanes = std::to_string(u.stim.n);
      if (u.kind == rtl::UnitKind::block_dot &&
          !((p.block == "0" || p.block == lanes) && (any_act || p.act_block == "0" || p.act_block == lanes)))
        continue;
      if (!units.empty()) return {uf, ""};  // the spec's order is its preference
      // from the whole catalog: the most specialized unit (fewest formats; mxfp4_dot before mx_dot_any)
      if (!best || formats.size() < best_formats) best = uf, best_formats = formats.size();
    }
  }
  if (best) return {best, ""};
  std::string where = units.empty() ? "no catalog unit" : "none of [hardware] units";
  return {std::nullopt, where + " multiplies " + p.weights + " weights x " + (any_act ? "any" : p.acts) +
                            " activations" + (p.block != "0" || p.act_block != "0" ? " at this block size" : "") +
                            (takes.empty() ? vq_shapes(p.weights) : " (units taking " + p.weights + ": " + takes + ")")};
}

cost::CostOptions CostStage::options(const SweepSpec& spec, const cost::UnitFormat& unit) const {
  const HardwareSpec& h = spec.hardware;
  std::call_once(loaded_, [&] { real_ = cost::stories260k_operands(spec.data_dir.string()); });
  cost::CostOptions o;
  o.units = {unit.unit->name}, o.formats = {unit.name};
  o.liberty = h.liberty.string();
  o.clock_ns = h.clock_mhz > 0 ? 1000.0 / h.clock_mhz : 10.0;
  o.model = true, o.random = h.random_operands, o.vectors = h.vectors;
  o.cache_dir = cache_dir_, o.real = &real_;
  return o;
}

void CostStage::run(const StageContext& ctx, PointRecord& rec) const {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  auto& m = rec.metrics;
  for (const char* k : {"cost.area_um2", "cost.cells", "cost.flops", "cost.nand2_eq", "cost.critical_path_ns",
                        "cost.max_clock_mhz", "cost.pj_per_mac"})
    m[k] = nan;
  if (ctx.spec.hardware.random_operands) m["cost.pj_per_mac_random"] = nan;
  const UnitChoice c = choose_unit(ctx.point, ctx.spec.hardware.units);
  if (!c.unit) {
    rec.attrs["cost.unit"] = "none";
    rec.attrs["cost.reason"] = c.reason;
    return;
  }
  cost::CostOptions o = options(ctx.spec, *c.unit);
  if (ctx.log) o.progress = ctx.log;
  const std::vector<cost::CostRow> rows = cost::run_cost(o);
  if (rows.size() != 1) throw std::logic_error("cost stage: run_cost returned " + std::to_string(rows.size()) + " rows");
  const cost::CostRow& r = rows[0];
  m["cost.area_um2"] = r.area_um2, m["cost.cells"] = double(r.cells), m["cost.flops"] = double(r.flops);
  m["cost.nand2_eq"] = r.nand2_eq, m["cost.critical_path_ns"] = r.critical_path_ns;
  m["cost.max_clock_mhz"] = r.fmax_mhz, m["cost.pj_per_mac"] = r.model.pj_per_mac();
  if (r.random.present) m["cost.pj_per_mac_random"] = r.random.pj_per_mac();
  char clock[32];
  std::snprintf(clock, sizeof clock, "%g", r.clock_ns);
  rec.attrs["cost.unit"] = r.unit;
  rec.attrs["cost.formats"] = r.format + " x " + r.act_format;
  rec.attrs["cost.flow"] = r.liberty + ", clock " + clock + " ns, " + std::to_string(o.vectors) +
                           " vectors per simulation, operands: " + r.operands_what +
                           (r.random.present ? " and random (seed 1)" : "");
  const bool cached = r.synth_cached && r.model.cached && (!r.random.present || r.random.cached);
  rec.attrs["cost.cached"] = cached ? "yes" : "no";
}

}  // namespace mxlab::experiments
