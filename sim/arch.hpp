// The accelerator's architecture: PE array, PE unit, operand formats, SRAM buffers, DRAM channel, clock and dataflow,
// read from a TOML file (sim/arch/*.toml); every error names the file, line and key.
#pragma once
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "formats/accumulate.hpp"
#include "formats/format.hpp"

namespace mxlab::sim {

enum class Dataflow { weight_stationary, output_stationary };
const char* dataflow_name(Dataflow d);

struct SramConfig {
  double bytes = 0;            // capacity
  int banks = 1;               // interleaved banks
  double bytes_per_cycle = 0;  // per bank
};

struct DramConfig {
  double bytes_per_cycle = 0;  // at the array clock ([dram] bytes_per_cycle, or gbps / clock)
  int latency_cycles = 0;      // request to first data
  int burst_bytes = 64;        // transfers are whole bursts
};

struct ArchConfig {
  std::string name;  // the file's stem, or [arch] name
  int rows = 0, cols = 0;
  Dataflow dataflow = Dataflow::weight_stationary;
  double clock_mhz = 1000;
  std::string unit = "auto";        // PE: a block-dot unit of rtl/units.json, or "auto" (chosen for the formats)
  Format weights = Format::mxint8;  // defaults for the CLI's --weights / --acts / --acc
  Format acts = Format::mxint8;
  AccFormat acc{};
  SramConfig weight_sram, act_sram, out_sram;
  DramConfig dram;
  double node_nm = 130, vdd = 1.8;  // technology of the per-byte SRAM energy (rtl/cost/memory.hpp scaling)
};

// Thrown for a bad architecture file: "FILE:LINE:COL: KEY: what is wrong".
struct ArchError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

ArchConfig load_arch(const std::filesystem::path& file);
ArchConfig parse_arch(const std::string& toml_text, const std::string& file_name);
// sim/arch/<name>.toml of the source tree (the shipped defaults: "array32", "array128").
std::filesystem::path shipped_arch(const std::string& name);

}  // namespace mxlab::sim
