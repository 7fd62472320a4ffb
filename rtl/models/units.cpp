// The unit catalog: entries generated from rtl/units.json at configure time (rtl/cmake/units.cmake).
#include "rtl/models/units.hpp"

#include <algorithm>
#include <stdexcept>

namespace mxlab::rtl {
namespace {
std::vector<Elem> family_elems(Family f) {  // element types of a format family in the traits table
  std::vector<Elem> v;
  for (const FormatTraits& t : format_table())
    if (t.family == f && std::find(v.begin(), v.end(), t.elem) == v.end()) v.push_back(t.elem);
  return v;
}

const std::vector<UnitConfig>& catalog() {
  static const std::vector<UnitConfig> c = {
#include "unit_catalog.inc"
  };
  return c;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}
}  // namespace

std::string_view unit_kind_name(UnitKind k) {
  switch (k) {
    case UnitKind::block_dot: return "block_dot";
    case UnitKind::int_mac: return "int_mac";
    case UnitKind::vq_mac: return "vq_mac";
  }
  return "?";
}

int UnitConfig::param(std::string_view p) const {
  for (const auto& [n, v] : params)
    if (n == p) return v;
  throw std::invalid_argument("RTL unit '" + name + "' has no parameter '" + std::string(p) + "' in rtl/units.json");
}

std::span<const UnitConfig> unit_catalog() { return catalog(); }

const UnitConfig& unit_config(std::string_view name) {
  for (const UnitConfig& u : catalog())
    if (u.name == name) return u;
  throw std::invalid_argument("unknown RTL unit '" + std::string(name) + "' (known: " + joined(unit_names()) + ")");
}

std::vector<std::string> unit_names() {
  std::vector<std::string> v;
  for (const UnitConfig& u : catalog()) v.push_back(u.name);
  return v;
}

std::vector<std::string> unit_names(UnitKind kind) {
  std::vector<std::string> v;
  for (const UnitConfig& u : catalog())
    if (u.kind == kind) v.push_back(u.name);
  return v;
}

}  // namespace mxlab::rtl
