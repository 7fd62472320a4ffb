// Runs a workload (GEMMs of a decoder layer) on the accelerator in transaction-level mode and reports cycles,
// utilization, bytes per memory level, stalls by cause, the roofline of the same configuration and, when given a
// per-MAC energy, energy per level and per token. JSON and text output.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/arch.hpp"
#include "sim/modules.hpp"
#include "sim/workload.hpp"

namespace mxlab::sim {

// The PE: a block-dot unit of the catalog (rtl/units.json) that multiplies the weight x activation formats, or for
// VQ weights the VQ MAC the cost catalog pairs with them (rtl/cost/stimulus.hpp unit_formats; transaction level only).
struct PeChoice {
  std::string unit;
  int lanes = 32, depth = 1, latency = 4;  // MACs per cycle (VQ: N x D); latency = DEPTH + 3 (+1 with TSCALE):
                                           // mxlab_block_dot.sv; VQ: DEPTH + 1 (mxlab_vq_mac.sv)
};
// arch.unit, or with "auto" the most specialized unit multiplying w x a (fewest formats, then catalog order:
// mxfp4_dot before mx_dot_any, vq_mac before vq_mac_d3). Throws std::invalid_argument naming the formats and the units
// that take w.
PeChoice choose_pe(const ArchConfig& arch, Format w, Format a);

struct GemmReport {
  Gemm gemm;
  std::int64_t folds = 0, fold_cycles = 0;
  double dram_read = 0, dram_write = 0;
  bool weights_resident = false;
  std::int64_t panel = 0;
};

struct Roofline {
  double peak_macs_per_cycle = 0;
  double compulsory_bytes = 0;  // every operand read once, every output written once
  double compute_cycles = 0;    // MACs / peak
  double memory_cycles = 0;     // compulsory bytes / DRAM bytes per cycle
  double cycles() const { return compute_cycles > memory_cycles ? compute_cycles : memory_cycles; }
};

struct Energy {
  std::string source;  // where pJ/MAC came from (cost row: unit, liberty, clock, operands)
  double pj_per_mac = 0;
  double mac_pj = 0, dram_pj = 0, sram_pj[3] = {0, 0, 0};
  double dram_pj_per_byte = 0, sram_pj_per_byte[3] = {0, 0, 0};
  double total_pj() const { return mac_pj + dram_pj + sram_pj[0] + sram_pj[1] + sram_pj[2]; }
};

struct SimResult {
  ArchConfig arch;
  PeChoice pe;
  Format weights{}, acts{};
  AccFormat acc{};
  std::string workload;   // e.g. "llama-7b layer, prefill seq 2048 batch 1"
  std::int64_t tokens = 0;
  std::vector<GemmReport> gemms;
  Counters counters;
  Roofline roofline;
  std::optional<Energy> energy;
  double utilization() const;  // MACs / (cycles x rows x cols x lanes)
};

// Simulates `gemms` back to back (one plan: the loader prefetches across GEMM boundaries).
SimResult simulate(const ArchConfig& arch, const std::vector<Gemm>& gemms, Format w, Format a, const AccFormat& acc,
                   std::int64_t tokens = 1, const std::string& workload = "");
SimResult simulate_layer(const ArchConfig& arch, const LlamaShape& shape, const WorkloadOptions& o, const AccFormat& acc);

// Energy per level from a per-MAC energy and the per-byte memory figures of rtl/cost/memory.hpp (SRAM per bank size at
// the arch's node and supply; DRAM not scaled).
Energy compose_energy(const SimResult& r, double pj_per_mac, const std::string& source);
// pJ/MAC of the PE's unit for the weight format from rtl/cost (run_cost: synthesis + gate-level simulation of random
// operands at the arch's clock; cached by content hash, so only the first call synthesizes).
Energy unit_energy(const SimResult& r, const std::string& cache_dir = "");

nlohmann::json to_json(const SimResult& r);
std::string to_text(const SimResult& r);

}  // namespace mxlab::sim
