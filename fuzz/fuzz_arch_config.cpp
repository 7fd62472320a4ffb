// Fuzzes the accelerator architecture parser (sim/arch parse_arch): TOML text -> ArchConfig, whose every field must
// then be usable (counts >= 1, finite positive rates and sizes), or an ArchError.
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>

#include "sim/arch.hpp"

namespace {
bool usable(double v) { return v > 0 && std::isfinite(v); }
bool usable(const mxlab::sim::SramConfig& s) { return usable(s.bytes) && s.banks >= 1 && usable(s.bytes_per_cycle); }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto a = mxlab::sim::parse_arch(std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml");
    if (a.rows < 1 || a.cols < 1 || !usable(a.clock_mhz) || !usable(a.weight_sram) || !usable(a.act_sram) ||
        !usable(a.out_sram) || !usable(a.dram.bytes_per_cycle) || a.dram.latency_cycles < 0 || a.dram.burst_bytes < 1 ||
        !usable(a.node_nm) || !usable(a.vdd))
      __builtin_trap();  // accepted, but a value the simulator cannot use
    (void)mxlab::sim::dataflow_name(a.dataflow);
  } catch (const std::exception&) {  // ArchError (or a format/accumulator parse error it wraps)
  }
  return 0;
}
