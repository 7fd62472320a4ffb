// Name -> Verilated class dispatch for the catalog's block dot units (the X-macro generated from rtl/units.json).
#include "rtl/verilator/vdriver.hpp"

#include <stdexcept>
#include <string>

namespace mxlab::rtl::verilator {

CosimStats stream_unit(std::string_view unit, const std::vector<BlockVector>& vec, double stall_prob, unsigned seed) {
  std::string known;
#define MXLAB_STREAM_UNIT(name, V, params)          \
  if (unit == #name) {                              \
    Dut<V> d;                                       \
    return stream_blocks(d, vec, stall_prob, seed); \
  }                                                 \
  known += (known.empty() ? "" : ", ") + std::string(#name);
  MXLAB_RTL_BLOCK_DOT_UNITS(MXLAB_STREAM_UNIT)
#undef MXLAB_STREAM_UNIT
  throw std::invalid_argument("'" + std::string(unit) + "' is not a Verilated block dot unit (known: " + known + ")");
}

}  // namespace mxlab::rtl::verilator
