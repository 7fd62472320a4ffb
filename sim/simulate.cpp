// Transaction-level runs: plan the GEMMs, elaborate the accelerator in a fresh SystemC context, simulate, report.
#include "sim/simulate.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>

#include "rtl/cost/stimulus.hpp"
#include "rtl/models/units.hpp"
#include "sim/pe/pe.hpp"
#include "sim/pe/pe_array.hpp"
#include "sim/pe/sim_context.hpp"

namespace mxlab::sim {

namespace {
bool contains(const std::vector<Elem>& v, Elem e) { return std::find(v.begin(), v.end(), e) != v.end(); }

// Does unit u multiply weights w by activations a? A VQ MAC: the format pair the cost catalog gives it
// (rtl/cost/stimulus.hpp unit_formats: the VQ rows of its D and K x INT8); a block dot: scale type, block size and
// the element sets of its sides. INT MACs are not PEs.
bool multiplies(const rtl::UnitConfig& u, const FormatTraits& w, const FormatTraits& a) {
  if (u.kind == rtl::UnitKind::vq_mac) {
    for (const cost::UnitFormat& uf : cost::unit_formats(u))
      if (uf.in_table && uf.weight == w.id && uf.act == a.id) return true;
    return false;
  }
  if (u.kind != rtl::UnitKind::block_dot || w.scale != u.stim.scale || a.scale != u.stim.scale ||
      w.default_block != u.stim.n || a.default_block != u.stim.n)
    return false;
  const bool w_on_a = u.stim.elems_a != u.stim.elems_b;  // W x A units take the weights on A (rtl/cost/stimulus.hpp)
  return contains(w_on_a ? u.stim.elems_a : u.stim.elems_b, w.elem) &&
         contains(w_on_a ? u.stim.elems_b : u.stim.elems_a, a.elem);
}
}  // namespace

PeChoice choose_pe(const ArchConfig& arch, Format wf, Format af) {
  const FormatTraits &w = traits(wf), &a = traits(af);
  const rtl::UnitConfig* best = nullptr;
  std::string takes;
  for (const rtl::UnitConfig& u : rtl::unit_catalog()) {
    if (arch.unit != "auto" && u.name != arch.unit) continue;
    const bool elem = contains(u.stim.elems_a, w.elem) || contains(u.stim.elems_b, w.elem);
    if (u.kind == rtl::UnitKind::block_dot && w.family != Family::vq && elem) takes += (takes.empty() ? "" : ", ") + u.name;
    if (u.kind == rtl::UnitKind::vq_mac)
      for (const cost::UnitFormat& uf : cost::unit_formats(u))
        if (uf.in_table && uf.weight == wf)
          takes += (takes.empty() ? "" : ", ") + u.name + " (x " + traits(uf.act).name + ")";
    if (!multiplies(u, w, a)) continue;
    if (!best || u.stim.elems_a.size() * u.stim.elems_b.size() < best->stim.elems_a.size() * best->stim.elems_b.size())
      best = &u;
  }
  if (!best)
    throw std::invalid_argument(std::string(arch.unit == "auto" ? "no block-dot unit (nor VQ MAC) of rtl/units.json"
                                                                : "PE unit '" + arch.unit + "'") +
                                " multiplies " + w.name + " weights x " + a.name + " activations" +
                                (takes.empty() ? "" : " (units with " + std::string(w.name) + "'s element: " + takes + ")"));
  if (best->kind == rtl::UnitKind::vq_mac) {  // transaction level only: no SystemC model of the VQ MAC's arithmetic
    // lanes: MACs per cycle, N indices x D; latency: mxlab_vq_mac.sv's output FIFO LAT = DEPTH, taken one edge later
    // (as the block dot's L = DEPTH + 3 is its FIFO LAT DEPTH + 2, plus one)
    int depth = 1;
    for (const auto& [p, v] : best->params)
      if (p == "DEPTH") depth = v;
    return {best->name, best->stim.n * best->param("D"), depth, depth + 1};
  }
  const PeConfig pc = PeConfig::from_unit(best->name);
  return {best->name, pc.lanes, pc.depth, pc.latency()};
}

double SimResult::utilization() const {
  const double peak = double(arch.rows) * arch.cols * pe.lanes;
  return counters.cycles > 0 ? counters.macs / (double(counters.cycles) * peak) : 0;
}

SimResult simulate(const ArchConfig& arch, const std::vector<Gemm>& gemms, Format w, Format a, const AccFormat& acc,
                   std::int64_t tokens, const std::string& workload) {
  SimResult r;
  r.arch = arch, r.weights = w, r.acts = a, r.acc = acc, r.tokens = tokens, r.workload = workload;
  r.pe = choose_pe(arch, w, a);
  const PlanContext ctx{arch, r.pe.lanes, r.pe.latency, acc};
  GemmPlan plan;
  for (const Gemm& g : gemms) {
    const std::size_t f0 = plan.folds.size();
    const double rd = plan.dram_read, wr = plan.dram_write;
    plan_gemm(ctx, g, plan);
    GemmReport gr{g, static_cast<std::int64_t>(plan.folds.size() - f0), 0, plan.dram_read - rd, plan.dram_write - wr,
                  plan.weights_resident, plan.panel};
    for (std::size_t i = f0; i < plan.folds.size(); ++i) gr.fold_cycles += plan.folds[i].cycles;
    r.gemms.push_back(gr);
    r.roofline.compulsory_bytes += packed_bytes(g.a_fmt, r.pe.lanes, g.m, g.k) * double(g.count) +
                                   packed_bytes(g.w_fmt, r.pe.lanes, g.n, g.k) * double(g.count) +
                                   packed_bytes(g.a_fmt, r.pe.lanes, g.m, g.n) * double(g.count);
  }
  const double macs = [&] { double s = 0; for (const Gemm& g : gemms) s += g.macs(); return s; }();
  r.roofline.peak_macs_per_cycle = double(arch.rows) * arch.cols * r.pe.lanes;
  r.roofline.compute_cycles = macs / r.roofline.peak_macs_per_cycle;
  r.roofline.memory_cycles = r.roofline.compulsory_bytes / arch.dram.bytes_per_cycle;
  // SystemC 2.3 elaborates once per context: each run gets a fresh one (sim/pe/sim_context.hpp)
  fresh_sim_context();
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  auto top = std::make_unique<Accelerator>("accelerator");
  top->run(arch, plan, r.counters);
  return r;
}

SimResult simulate_layer(const ArchConfig& arch, const LlamaShape& shape, const WorkloadOptions& o, const AccFormat& acc) {
  std::ostringstream what;
  what << shape.name << " layer, " << phase_name(o.phase) << (o.phase == Phase::prefill ? " seq " : " context ")
       << o.seq << " batch " << o.batch;
  return simulate(arch, decoder_layer(shape, o), o.weights, o.acts, acc, layer_tokens(o), what.str());
}

}  // namespace mxlab::sim
