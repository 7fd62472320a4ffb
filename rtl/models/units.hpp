// The RTL unit catalog as C++ reads it: every unit of rtl/units.json (generated into unit_catalog.inc), by name.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "formats/format.hpp"
#include "rtl/models/golden.hpp"

namespace mxlab::rtl {

enum class UnitKind : std::uint8_t {
  block_dot,  // mxlab_block_dot: scaled block dot product + FP accumulator (BlockDotModel)
  int_mac,    // mxlab_int_mac: INT-N dot product, wrapping accumulator (IntMacModel)
  vq_mac,     // mxlab_vq_mac: codebook lookup + INT8 MAC (VqMacModel)
};
std::string_view unit_kind_name(UnitKind k);

struct UnitConfig {
  std::string name;  // catalog name; the Verilated class is Vmxlab_<name>
  UnitKind kind;
  std::string top;    // SystemVerilog module
  StimulusSpec stim;  // lanes (SV N), element types of A and B, and the block scale type (block_dot units only)
  std::vector<std::pair<std::string, int>> params;  // further SV parameters (e.g. vq_mac D, IDX_BITS)
  int param(std::string_view p) const;  // throws std::invalid_argument when the unit has no such parameter
};

std::span<const UnitConfig> unit_catalog();  // catalog order
// Throws std::invalid_argument naming the known units.
const UnitConfig& unit_config(std::string_view name);
std::vector<std::string> unit_names();
std::vector<std::string> unit_names(UnitKind kind);

}  // namespace mxlab::rtl
