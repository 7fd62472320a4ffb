// Energy composition (rtl/cost per-MAC and per-byte figures) and the JSON / text reports of a run.
#include <cstdio>
#include <sstream>

#include "rtl/cost/cost.hpp"
#include "rtl/cost/memory.hpp"
#include "sim/simulate.hpp"

namespace mxlab::sim {

namespace {
const char* const kBuffers[3] = {"weight_sram", "activation_sram", "output_sram"};
const SramConfig& buffer(const ArchConfig& a, int i) { return i == 0 ? a.weight_sram : i == 1 ? a.act_sram : a.out_sram; }
}  // namespace

Energy compose_energy(const SimResult& r, double pj_per_mac, const std::string& source) {
  Energy e;
  e.source = source, e.pj_per_mac = pj_per_mac;
  e.mac_pj = pj_per_mac * r.counters.macs;
  e.dram_pj_per_byte = cost::dram_pj_per_byte();
  e.dram_pj = e.dram_pj_per_byte * (r.counters.dram_read + r.counters.dram_write);
  for (int i = 0; i < 3; ++i) {
    const SramConfig& s = buffer(r.arch, i);  // an access touches one bank: its size sets the energy
    e.sram_pj_per_byte[i] = cost::sram_pj_per_byte(s.bytes / s.banks, r.arch.node_nm, r.arch.vdd);
    e.sram_pj[i] = e.sram_pj_per_byte[i] * (r.counters.sram_read[i] + r.counters.sram_write[i]);
  }
  return e;
}

Energy unit_energy(const SimResult& r, const std::string& cache_dir) {
  cost::CostOptions o;
  o.units = {r.pe.unit}, o.formats = {traits(r.weights).name};
  o.clock_ns = 1000.0 / r.arch.clock_mhz;
  o.model = false, o.random = true;  // sim never links model/: random operands (rtl/cost/stimulus.hpp)
  o.cache_dir = cache_dir;
  const std::vector<cost::CostRow> rows = cost::run_cost(o);
  if (rows.size() != 1 || !rows[0].random.present)
    throw std::runtime_error("energy: rtl/cost returned no energy row for " + r.pe.unit);
  const cost::CostRow& c = rows[0];
  char src[512];
  std::snprintf(src, sizeof src, "rtl/cost: unit %s, %s x %s, random operands, gate-level simulation, %s, clock %g ns",
                c.unit.c_str(), c.format.c_str(), c.act_format.c_str(), c.liberty.c_str(), c.clock_ns);
  return compose_energy(r, c.random.pj_per_mac(), src);
}

nlohmann::json to_json(const SimResult& r) {
  const Counters& c = r.counters;
  nlohmann::json j;
  j["arch"] = {{"name", r.arch.name}, {"rows", r.arch.rows}, {"cols", r.arch.cols},
               {"dataflow", dataflow_name(r.arch.dataflow)}, {"clock_mhz", r.arch.clock_mhz},
               {"dram_bytes_per_cycle", r.arch.dram.bytes_per_cycle}};
  j["pe"] = {{"unit", r.pe.unit}, {"lanes", r.pe.lanes}, {"depth", r.pe.depth}, {"latency", r.pe.latency}};
  j["formats"] = {{"weights", traits(r.weights).name}, {"acts", traits(r.acts).name}, {"acc", r.acc.name()}};
  j["workload"] = r.workload;
  j["tokens"] = r.tokens;
  j["cycles"] = c.cycles;
  j["seconds"] = double(c.cycles) / (r.arch.clock_mhz * 1e6);
  j["macs"] = c.macs;
  j["utilization"] = r.utilization();
  j["folds"] = c.folds;
  j["fold_cycles"] = c.fold_cycles;
  j["stalls"] = {{"dram", c.stall_dram}, {"sram_bank_conflict", c.stall_sram}, {"drain", c.stall_drain}};
  j["bytes"] = {{"dram_read", c.dram_read}, {"dram_write", c.dram_write}};
  for (int i = 0; i < 3; ++i) j["bytes"][kBuffers[i]] = {{"read", c.sram_read[i]}, {"write", c.sram_write[i]}};
  j["roofline"] = {{"peak_macs_per_cycle", r.roofline.peak_macs_per_cycle},
                   {"compulsory_bytes", r.roofline.compulsory_bytes},
                   {"compute_cycles", r.roofline.compute_cycles},
                   {"memory_cycles", r.roofline.memory_cycles},
                   {"cycles", r.roofline.cycles()},
                   {"simulated_over_roofline", double(c.cycles) / r.roofline.cycles()}};
  nlohmann::json gs = nlohmann::json::array();
  for (const GemmReport& g : r.gemms)
    gs.push_back({{"name", g.gemm.name}, {"m", g.gemm.m}, {"n", g.gemm.n}, {"k", g.gemm.k}, {"count", g.gemm.count},
                  {"macs", g.gemm.macs()}, {"folds", g.folds}, {"fold_cycles", g.fold_cycles},
                  {"dram_read", g.dram_read}, {"dram_write", g.dram_write},
                  {"resident", g.weights_resident ? "weights" : "activations"}, {"panel", g.panel}});
  j["gemms"] = gs;
  if (r.energy) {
    const Energy& e = *r.energy;
    j["energy"] = {{"source", e.source}, {"pj_per_mac", e.pj_per_mac}, {"mac_pj", e.mac_pj}, {"dram_pj", e.dram_pj},
                   {"dram_pj_per_byte", e.dram_pj_per_byte}, {"total_pj", e.total_pj()},
                   {"pj_per_token", e.total_pj() / double(r.tokens)}};
    for (int i = 0; i < 3; ++i) {
      j["energy"][std::string(kBuffers[i]) + "_pj"] = e.sram_pj[i];
      j["energy"][std::string(kBuffers[i]) + "_pj_per_byte"] = e.sram_pj_per_byte[i];
    }
  }
  return j;
}

std::string to_text(const SimResult& r) {
  const Counters& c = r.counters;
  std::ostringstream o;
  char b[256];
  o << r.workload << " on " << r.arch.name << " (" << r.arch.rows << "x" << r.arch.cols << " "
    << dataflow_name(r.arch.dataflow) << ", PE " << r.pe.unit << " LAT " << r.pe.latency << "), W "
    << traits(r.weights).name << " / A " << traits(r.acts).name << " / acc " << r.acc.name() << "\n";
  std::snprintf(b, sizeof b, "cycles %lld (%.3f ms at %g MHz), utilization %.1f %%, roofline %.0f cycles (x%.3f)\n",
                static_cast<long long>(c.cycles), 1e3 * double(c.cycles) / (r.arch.clock_mhz * 1e6), r.arch.clock_mhz,
                100 * r.utilization(), r.roofline.cycles(), double(c.cycles) / r.roofline.cycles());
  o << b;
  std::snprintf(b, sizeof b, "stalls: dram %lld, sram bank conflict %lld, drain %lld cycles\n",
                static_cast<long long>(c.stall_dram), static_cast<long long>(c.stall_sram),
                static_cast<long long>(c.stall_drain));
  o << b;
  std::snprintf(b, sizeof b, "bytes: DRAM read %.4g write %.4g; SRAM weight %.4g, activation %.4g, output %.4g\n",
                c.dram_read, c.dram_write, c.sram_read[0] + c.sram_write[0], c.sram_read[1] + c.sram_write[1],
                c.sram_read[2] + c.sram_write[2]);
  o << b;
  for (const GemmReport& g : r.gemms) {
    std::snprintf(b, sizeof b, "  %-3s M %-6lld N %-6lld K %-6lld x%-4lld folds %-7lld cycles %-10lld DRAM %.4g B\n",
                  g.gemm.name.c_str(), static_cast<long long>(g.gemm.m), static_cast<long long>(g.gemm.n),
                  static_cast<long long>(g.gemm.k), static_cast<long long>(g.gemm.count),
                  static_cast<long long>(g.folds), static_cast<long long>(g.fold_cycles), g.dram_read + g.dram_write);
    o << b;
  }
  if (r.energy) {
    const Energy& e = *r.energy;
    std::snprintf(b, sizeof b, "energy: %.4g uJ (%.4g uJ/token): MAC %.4g, DRAM %.4g, SRAM %.4g / %.4g / %.4g uJ\n",
                  e.total_pj() * 1e-6, e.total_pj() * 1e-6 / double(r.tokens), e.mac_pj * 1e-6, e.dram_pj * 1e-6,
                  e.sram_pj[0] * 1e-6, e.sram_pj[1] * 1e-6, e.sram_pj[2] * 1e-6);
    o << b << "  pJ/MAC from " << e.source << "\n";
  }
  return o.str();
}

}  // namespace mxlab::sim
