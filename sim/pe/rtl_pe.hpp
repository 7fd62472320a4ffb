// The RTL processing element: a catalog block dot unit verilated as a SystemC module (Verilator --sc,
// rtl/cmake/units.cmake mxlab_rtl_verilate_systemc) behind the C++ PE's ports (pe.hpp PeBase), so an array swaps
// one for the other through its PeFactory. Only the units listed in sim/pe/CMakeLists.txt are verilated for SystemC.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "sim/pe/pe.hpp"

namespace mxlab::sim {

// The catalog units this build verilated for SystemC.
std::vector<std::string> rtl_pe_units();

// The Verilated PE of cfg.unit. Throws std::invalid_argument when cfg.unit is not one of rtl_pe_units() or when cfg
// differs from the unit's catalog configuration (lanes, scale type, DEPTH, TSCALE; an FP32 accumulator).
std::unique_ptr<PeBase> make_rtl_pe(const char* name, const PeConfig& cfg);

}  // namespace mxlab::sim
