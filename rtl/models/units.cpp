// Unit configurations (must match the verilate() parameters in rtl/CMakeLists.txt).
#include "rtl/models/units.hpp"

#include <stdexcept>

namespace mxlab::rtl {
namespace {
std::vector<Elem> mx_elems() {  // element types of the OCP MX formats in the traits table
  std::vector<Elem> v;
  for (const FormatTraits& t : format_table())
    if (t.family == Family::mx) v.push_back(t.elem);
  return v;
}
}  // namespace

std::vector<std::string> unit_names() { return {"mx_dot_any", "mxfp4_dot", "nvfp4_dot", "fp4v_mac"}; }

UnitConfig unit_config(const std::string& name) {
  if (name == "mx_dot_any") return {name, {32, ScaleType::e8m0, mx_elems(), mx_elems()}};
  if (name == "mxfp4_dot") return {name, {32, ScaleType::e8m0, {Elem::e2m1}, {Elem::e2m1}}};
  if (name == "nvfp4_dot") return {name, {16, ScaleType::ue4m3, {Elem::e2m1}, {Elem::e2m1}}};
  if (name == "fp4v_mac") return {name, {32, ScaleType::e8m0, {Elem::e2m1, Elem::e1m2, Elem::e3m0}, {Elem::e4m3}}};
  throw std::invalid_argument("unknown RTL unit '" + name + "' (known: mx_dot_any, mxfp4_dot, nvfp4_dot, fp4v_mac)");
}

}  // namespace mxlab::rtl
