// Element type table and reference codecs: the single place where an element's rounding and packing live.
#include "formats/element.hpp"

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace mxlab {

namespace {
// Spec sources: OCP Microscaling Formats (MX) v1.0, sections 5.1-5.3 (FP8/FP6/FP4 elements, INT8, E8M0);
// OCP 8-bit Floating Point v1.0 (E4M3/E5M2 special values); FP4 E1M2 / E3M0 use the LLM-FP4 (Liu et al.
// 2023) definition with the default bias 2^(E-1)-1 and no Inf/NaN, maxval = (2 - 2^-M) 2^(2^E - 1 - b).
constexpr std::array<ElemSpec, kElemCount> kElems{{
    {Elem::e4m3, "e4m3", 8, 4, 3, 7, true, false, Specials::ocp_e4m3, 448.0, 8, -6},
    {Elem::e5m2, "e5m2", 8, 5, 2, 15, true, false, Specials::ieee, 57344.0, 15, -14},
    {Elem::e3m2, "e3m2", 6, 3, 2, 3, true, false, Specials::none, 28.0, 4, -2},
    {Elem::e2m3, "e2m3", 6, 2, 3, 1, true, false, Specials::none, 7.5, 2, 0},
    {Elem::e2m1, "e2m1", 4, 2, 1, 1, true, false, Specials::none, 6.0, 2, 0},
    {Elem::e1m2, "e1m2", 4, 1, 2, 0, true, false, Specials::none, 3.5, 1, 1},
    {Elem::e3m0, "e3m0", 4, 3, 0, 3, true, false, Specials::none, 16.0, 4, -2},
    {Elem::int2, "int2", 2, 0, 1, 0, true, true, Specials::none, 1.0, 0, 0},
    {Elem::int4, "int4", 4, 0, 3, 0, true, true, Specials::none, 7.0, 2, 0},
    {Elem::int6, "int6", 6, 0, 5, 0, true, true, Specials::none, 31.0, 4, 0},
    {Elem::int8, "int8", 8, 0, 7, 0, true, true, Specials::none, 127.0, 6, 0},
    {Elem::e8m0, "e8m0", 8, 8, 0, 127, false, false, Specials::e8m0, 1.7014118346046923e38, 127, -127},
    {Elem::ue4m3, "ue4m3", 8, 4, 3, 7, false, false, Specials::ocp_e4m3, 448.0, 8, -6},
    {Elem::int3, "int3", 3, 0, 2, 0, true, true, Specials::none, 3.0, 1, 0},
}};

bool table_is_in_enum_order() {
  for (int i = 0; i < kElemCount; ++i)
    if (static_cast<int>(kElems[i].id) != i) return false;
  return true;
}

std::uint32_t nan_code(const ElemSpec& s) {
  switch (s.specials) {
    case Specials::ocp_e4m3: return 0x7Fu;  // S.1111.111 with S = 0
    case Specials::ieee: return 0x7Fu;  // E5M2 S.11111.11
    case Specials::e8m0: return 0xFFu;
    case Specials::none: return 0;
  }
  return 0;
}

std::uint32_t sign_bit(const ElemSpec& s, bool neg) { return (neg && s.is_signed) ? (1u << (s.bits - 1)) : 0u; }

std::uint32_t max_code(const ElemSpec& s) {
  const std::uint32_t all_e = (1u << s.ebits) - 1, all_m = (1u << s.mbits) - 1;
  switch (s.specials) {
    case Specials::ocp_e4m3: return (all_e << s.mbits) | (all_m - 1);
    case Specials::ieee: return ((all_e - 1) << s.mbits) | all_m;
    default: return (all_e << s.mbits) | all_m;
  }
}

// FP: round |v| onto the grid 2^(max(floor(log2|v|), emin) - M) and pack sign/exponent/mantissa.
std::uint32_t encode_fp(const ElemSpec& s, long double v, Round mode, std::uint32_t u24, bool saturate) {
  const bool neg = std::signbit(v);
  const long double a = std::fabs(v);
  const std::uint32_t sign = sign_bit(s, neg);
  auto overflow = [&]() -> std::uint32_t {
    if (saturate || s.specials == Specials::none) return sign | max_code(s);
    if (s.specials == Specials::ieee) return sign | (((1u << s.ebits) - 1) << s.mbits);
    return sign | nan_code(s);
  };
  if (std::isnan(a)) return nan_code(s);
  if (std::isinf(a)) return overflow();
  if (a == 0) return sign;
  const int e = std::max(std::ilogb(a), s.emin);
  const int step_exp = e - s.mbits;
  const long double n = round_magnitude(std::ldexp(a, -step_exp), mode, u24);
  const long double q = std::ldexp(n, step_exp);
  if (q > s.max_normal) return overflow();
  if (n == 0) return sign;
  const int qe = std::ilogb(q);
  if (qe < s.emin)  // subnormal: exponent field 0, mantissa = q / 2^(emin - M)
    return sign | static_cast<std::uint32_t>(std::ldexp(q, s.mbits - s.emin));
  const auto mant = static_cast<std::uint32_t>(std::ldexp(q, s.mbits - qe)) - (1u << s.mbits);
  return sign | (static_cast<std::uint32_t>(qe + s.bias) << s.mbits) | mant;
}

// INT: round |v| to an integer, clamp to the symmetric range, two's complement.
std::uint32_t encode_int(const ElemSpec& s, long double v, Round mode, std::uint32_t u24) {
  if (std::isnan(v)) return 0;
  const long double a = std::fabs(v);
  const long double limit = s.max_normal;
  const long double n = std::isinf(a) ? limit : std::min(round_magnitude(a, mode, u24), limit);
  const auto k = static_cast<std::int32_t>(std::signbit(v) ? -n : n);
  return static_cast<std::uint32_t>(k) & ((1u << s.bits) - 1);
}
}  // namespace

std::span<const ElemSpec> elem_table() {
  static const bool ok = table_is_in_enum_order();
  if (!ok) throw std::logic_error("element table is out of enum order");
  return kElems;
}

const ElemSpec& elem_spec(Elem e) {
  const auto i = static_cast<std::size_t>(e);
  if (i >= kElems.size()) throw std::invalid_argument("unknown element type id " + std::to_string(i));
  return elem_table()[i];
}

double decode_elem(Elem e, std::uint32_t code) {
  const ElemSpec& s = elem_spec(e);
  code &= (1u << s.bits) - 1;
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  if (s.is_int) {  // sign-extend the two's complement code
    const int shift = 32 - s.bits;
    return static_cast<double>(static_cast<std::int32_t>(code << shift) >> shift);
  }
  if (s.specials == Specials::e8m0) return code == 0xFF ? nan : std::ldexp(1.0, static_cast<int>(code) - 127);
  const bool neg = s.is_signed && (code >> (s.bits - 1)) != 0;
  if (e == Elem::ue4m3) code &= 0x7F;  // unsigned: bit 7 is not part of the value
  const std::uint32_t all_e = (1u << s.ebits) - 1, all_m = (1u << s.mbits) - 1;
  const std::uint32_t ef = (code >> s.mbits) & all_e, mf = code & all_m;
  double mag;
  if (s.specials == Specials::ocp_e4m3 && ef == all_e && mf == all_m) return nan;
  if (s.specials == Specials::ieee && ef == all_e) mag = mf == 0 ? std::numeric_limits<double>::infinity() : nan;
  else if (ef == 0) mag = std::ldexp(static_cast<double>(mf), s.emin - s.mbits);
  else mag = std::ldexp(static_cast<double>((1u << s.mbits) | mf), static_cast<int>(ef) - s.bias - s.mbits);
  if (std::isnan(mag)) return nan;
  return neg ? -mag : mag;
}

std::uint32_t encode_elem_ref(Elem e, long double v, Round mode, std::uint32_t u24, bool saturate) {
  const ElemSpec& s = elem_spec(e);
  if (s.specials == Specials::e8m0)
    throw std::invalid_argument("e8m0 is a scale type: encode it from an exponent with encode_e8m0");
  if (s.is_int) return encode_int(s, v, mode, u24);
  if (!s.is_signed && std::signbit(v) && !std::isnan(v) && v != 0)
    throw std::invalid_argument(std::string(s.name) + " is unsigned: cannot encode a negative value");
  return encode_fp(s, v, mode, u24, saturate);
}

std::uint8_t encode_e8m0(int x) {
  if (x < -127 || x > 127) throw std::out_of_range("e8m0 exponent " + std::to_string(x) + " outside [-127, 127]");
  return static_cast<std::uint8_t>(x + 127);
}

}  // namespace mxlab
