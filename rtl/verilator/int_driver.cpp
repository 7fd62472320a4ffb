// Name -> Verilated class dispatch for the catalog's int_mac and vq_mac units (X-macros generated from rtl/units.json).
#include "rtl/verilator/int_driver.hpp"

#include <stdexcept>
#include <string>

#include "rtl/models/units.hpp"

namespace mxlab::rtl::verilator {
namespace {
template <class Step>
auto from(const std::vector<Step>& steps) {
  return [&steps, i = std::size_t{0}](Step& s) mutable {
    if (i == steps.size()) return false;
    s = steps[i++];
    return true;
  };
}
}  // namespace

CosimStats stream_int_unit(std::string_view unit, const std::vector<IntStep>& steps, double stall_prob, unsigned seed) {
  std::string known;
#define MXLAB_STREAM_INT(name, V, params)                                         \
  if (unit == #name) {                                                            \
    Dut<V> d;                                                                     \
    return drive_int_unit<V, IntStep>(d, from(steps), 0, stall_prob, seed);       \
  }                                                                               \
  known += (known.empty() ? "" : ", ") + std::string(#name);
  MXLAB_RTL_INT_MAC_UNITS(MXLAB_STREAM_INT)
#undef MXLAB_STREAM_INT
  throw std::invalid_argument("'" + std::string(unit) + "' is not a Verilated int_mac unit (known: " + known + ")");
}

CosimStats stream_vq_unit(std::string_view unit, const std::vector<VqStep>& steps, double stall_prob, unsigned seed) {
  std::string known;
#define MXLAB_STREAM_VQ(name, V, params)                                                                   \
  if (unit == #name) {                                                                                     \
    Dut<V> d;                                                                                              \
    return drive_int_unit<V, VqStep>(d, from(steps), unit_config(#name).param("IDX_BITS"), stall_prob, seed); \
  }                                                                                                        \
  known += (known.empty() ? "" : ", ") + std::string(#name);
  MXLAB_RTL_VQ_MAC_UNITS(MXLAB_STREAM_VQ)
#undef MXLAB_STREAM_VQ
  throw std::invalid_argument("'" + std::string(unit) + "' is not a Verilated vq_mac unit (known: " + known + ")");
}

}  // namespace mxlab::rtl::verilator
