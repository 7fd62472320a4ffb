// `mxlab cost` as a library (a point stage for the sweep runner): per catalog unit and format, area, cells,
// flip-flops, NAND2 equivalents, critical path and max clock from the rtl/synth/ flow (Yosys + OpenSTA), and energy
// per MAC from gate-level simulation (rtl/power/) of real and random operands, beside OpenSTA's vectorless estimate.
// Synthesis and energy results are cached by content hash (cache.cpp), so a rerun is instant.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rtl/cost/stimulus.hpp"

namespace mxlab::cost {

// The tools and flow files, fixed at build time (defaults from the CMake configuration: build_flow()).
struct Flow {
  std::string cmake, yosys, sta, iverilog, vvp;
  std::string synth_dir;     // per catalog unit <synth_dir>/<unit>/config.cmake (rtl/synth/synth.cmake)
  std::string synth_driver;  // rtl/synth/synth_unit.cmake
  std::string dont_use_script, dont_use_pattern;
  std::vector<std::string> flow_files;  // hashed into every key: synth scripts, rtl/power and rtl/cost sources
  std::string default_liberty;
  std::string default_cache_dir;
};
Flow build_flow();

struct CostOptions {
  std::vector<std::string> units;    // empty: every catalog unit
  std::vector<std::string> formats;  // empty: every format each unit multiplies
  std::optional<int> depth;          // DEPTH override (1..4); none: the catalog's
  std::string liberty;               // empty: Flow::default_liberty
  double clock_ns = 10;              // OpenSTA's clock and the simulated period (leakage integrates over it)
  bool model = true, random = true;  // which operands to simulate
  std::size_t vectors = 256;         // vectors per simulation (one block pair / vector per cycle)
  std::uint64_t seed = 1;            // random operands
  std::string cache_dir;             // empty: Flow::default_cache_dir
  const Operands* real = nullptr;    // needed when `model`
  std::function<void(const std::string&)> progress;  // one line per step (synthesizing, simulating, cached)
};

struct Energy {  // one gate-level simulation
  bool present = false, cached = false;
  long cycles = 0;
  double macs = 0;
  double switching_pj = 0, internal_pj = 0, leakage_pj = 0;  // totals over the window
  double pj_per_mac() const { return macs > 0 ? (switching_pj + internal_pj + leakage_pj) / macs : 0; }
};

struct CostRow {
  std::string unit, format, act_format, top, params, liberty, operands_what;
  int depth = 0;
  bool synth_cached = false;
  double clock_ns = 0, area_um2 = 0, nand2_eq = 0, critical_path_ns = 0, fmax_mhz = 0, synth_s = 0;
  long cells = 0, flops = 0;
  int macs_per_cycle = 0;
  double bits_per_weight = 0;
  Energy model, random;
  double vectorless_pj_per_mac = 0;  // OpenSTA report_power, inputs toggling 0.5 per cycle, duty 0.5
  std::string synth_key, energy_keys;
};

// Validates every unit and format name first (std::invalid_argument naming the known ones), then synthesizes each
// unit once and simulates each (unit, format, operand kind), reading and filling the cache.
std::vector<CostRow> run_cost(const CostOptions& opt, const Flow& flow = build_flow());

// Markdown table and JSON (one object per row).
std::string cost_table(const std::vector<CostRow>& rows);
std::string cost_json(const std::vector<CostRow>& rows);

}  // namespace mxlab::cost
