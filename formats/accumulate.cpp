// Fused accumulate-and-round: the reference definition rtl/sv/mxlab_fp_acc_add.sv implements (same result, other steps).
#include "formats/accumulate.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace mxlab {
namespace {
using u128 = unsigned __int128;
constexpr int kW = 100;  // normalized significand width; any W >= max(mag bits, mbits + 1) gives the same result

int msb(u128 x) {
  const auto hi = static_cast<std::uint64_t>(x >> 64);
  return hi ? 127 - std::countl_zero(hi) : 63 - std::countl_zero(static_cast<std::uint64_t>(x));
}

struct Norm {  // value = (-1)^neg * sig * 2^(e_msb - (kW - 1)), sig has bit kW-1 set (or is 0)
  bool neg = false;
  u128 sig = 0;
  int e_msb = 0;
};
Norm normalize(bool neg, u128 mag, int exp) {
  if (mag == 0) return {neg, 0, 0};
  const int p = msb(mag);
  return {neg, mag << (kW - 1 - p), exp + p};
}
}  // namespace

std::uint64_t AccFormat::canonical_nan() const {
  return ((std::uint64_t{1} << ebits) - 1) << mbits | (std::uint64_t{1} << (mbits - 1));
}

double AccFormat::to_double(std::uint64_t bits) const {
  const std::uint64_t emask = (std::uint64_t{1} << ebits) - 1, mmask = (std::uint64_t{1} << mbits) - 1;
  const std::uint64_t e = (bits >> mbits) & emask, m = bits & mmask;
  const bool neg = (bits >> (ebits + mbits)) & 1u;
  double v;
  if (e == emask) v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(static_cast<double>(e ? (m | (mmask + 1)) : m), static_cast<int>(std::max<std::uint64_t>(e, 1)) - bias() - mbits);
  return neg ? -v : v;
}

std::uint64_t AccFormat::from_double(double x) const {
  const std::uint64_t emask = (std::uint64_t{1} << ebits) - 1, mmask = (std::uint64_t{1} << mbits) - 1;
  const std::uint64_t sign = std::signbit(x) ? std::uint64_t{1} << (ebits + mbits) : 0;
  if (std::isnan(x)) return canonical_nan();
  if (std::isinf(x)) return sign | emask << mbits;
  if (x == 0) return sign;
  int e = std::max(std::ilogb(x), 1 - bias());
  auto q = static_cast<std::uint64_t>(std::rint(std::ldexp(std::fabs(x), mbits - e)));  // < 2^(M+2): exact
  if (q >> (mbits + 1)) q >>= 1, ++e;  // rounded up to the next binade (q was 2^(M+1): the shift is exact)
  if (!(q >> mbits)) return sign | q;  // subnormal
  const auto field = static_cast<std::uint64_t>(e + bias());
  return field >= emask ? (sign | emask << mbits) : (sign | field << mbits | (q & mmask));
}

std::string AccFormat::name() const {
  if (ebits == 8 && mbits == 23) return "fp32";
  if (ebits == 8 && mbits == 7) return "bf16";
  if (ebits == 5 && mbits == 10) return "fp16";
  if (ebits == 11 && mbits == 52) return "fp64";
  std::string s = "e";
  s += std::to_string(ebits);
  s += 'm';
  s += std::to_string(mbits);
  return s;
}

AccFormat AccFormat::parse(std::string_view name) {
  if (name == "fp32") return {8, 23};
  if (name == "bf16") return {8, 7};
  if (name == "fp16") return {5, 10};
  if (name == "fp64") return {11, 52};
  AccFormat f{0, 0};
  const char* end = name.data() + name.size();
  const std::size_t m = name.find('m');
  if (name.size() >= 4 && name[0] == 'e' && m != std::string_view::npos) {
    const auto re = std::from_chars(name.data() + 1, name.data() + m, f.ebits);
    const auto rm = std::from_chars(name.data() + m + 1, end, f.mbits);
    if (re.ec == std::errc() && re.ptr == name.data() + m && rm.ec == std::errc() && rm.ptr == end && f.ebits >= 2 &&
        f.ebits <= 11 && f.mbits >= 1 && f.mbits <= 52)
      return f;
  }
  throw std::invalid_argument("unknown accumulator format '" + std::string(name) +
                              "' (fp32, bf16, fp16, fp64, or eXmY with 2 <= X <= 11 and 1 <= Y <= 52, e.g. e6m9)");
}

AccResult acc_add(const AccFormat& f, std::uint64_t acc, const ExactValue& v) {
  const std::uint64_t emask = (std::uint64_t{1} << f.ebits) - 1, mmask = (std::uint64_t{1} << f.mbits) - 1;
  const std::uint64_t inf_bits = emask << f.mbits;
  const bool a_neg = (acc >> (f.ebits + f.mbits)) & 1u;
  const std::uint64_t ae = (acc >> f.mbits) & emask, am = acc & mmask;
  const bool a_nan = ae == emask && am != 0, a_inf = ae == emask && am == 0;
  // Specials first: NaN in -> NaN; Inf - Inf -> NaN (invalid); Inf + finite -> Inf.
  if (a_nan) return {f.canonical_nan(), 0};
  if (v.nan) return {f.canonical_nan(), v.nan_flags};
  if (a_inf && v.inf && a_neg != v.neg) return {f.canonical_nan(), kInvalid};
  if (a_inf) return {acc, 0};
  if (v.inf) return {(v.neg ? std::uint64_t{1} << (f.ebits + f.mbits) : 0) | inf_bits, 0};

  const int emin = 1 - f.bias();
  Norm a = normalize(a_neg, ae == 0 ? am : (am | (std::uint64_t{1} << f.mbits)),
                     static_cast<int>(std::max<std::uint64_t>(ae, 1)) - f.bias() - f.mbits);
  Norm b = normalize(v.neg, v.mag, v.exp);
  if (a.sig == 0 && b.sig == 0) return {0, 0};
  // P = the operand of larger magnitude (a zero operand never is); Q is aligned to it.
  const bool b_larger = a.sig == 0 || (b.sig != 0 && (b.e_msb > a.e_msb || (b.e_msb == a.e_msb && b.sig > a.sig)));
  const Norm& P = b_larger ? b : a;
  const Norm& Q = b_larger ? a : b;
  const u128 p3 = P.sig << 3;  // three extra bits: guard, round, sticky
  u128 q3 = 0;
  if (Q.sig != 0) {
    const int d = P.e_msb - Q.e_msb;
    if (d >= kW + 3) {
      q3 = 1;  // entirely below the sticky position
    } else {
      const u128 full = Q.sig << 3;
      q3 = full >> d;
      if (d > 0 && (full & ((u128{1} << d) - 1)) != 0) q3 |= 1;  // jam the shifted-out bits into the sticky bit
    }
  }
  const u128 r = (P.neg != Q.neg && Q.sig != 0) ? p3 - q3 : p3 + q3;
  if (r == 0) return {0, 0};  // exact cancellation: +0
  // r * 2^(P.e_msb - (kW - 1) - 3); round once to mbits + 1 significant bits at exponent >= emin.
  const int base = P.e_msb - (kW - 1) - 3;
  const int e_r = base + msb(r);
  const int e_b = std::max(e_r, emin);
  const int s = e_b - f.mbits - base;  // right shift that puts the result's LSB at bit 0
  u128 q;
  bool guard = false, sticky = false;
  if (s <= 0) {
    q = r << -s;
  } else if (s > 120) {
    q = 0;
    sticky = true;  // r != 0 and far below the LSB (cannot be a half: guard is 0)
  } else {
    q = r >> s;
    guard = (r >> (s - 1)) & 1u;
    sticky = (r & ((u128{1} << (s - 1)) - 1)) != 0;
  }
  unsigned flags = (guard || sticky) ? kInexact : 0u;
  if ((flags & kInexact) && e_r < emin) flags |= kUnderflow;
  if (guard && (sticky || (q & 1u))) ++q;  // round half to even
  int e_final = e_b;
  if (q >> (f.mbits + 1)) { q >>= 1; ++e_final; }  // carry out of the significand
  const std::uint64_t sign = P.neg ? std::uint64_t{1} << (f.ebits + f.mbits) : 0;
  const bool normal = (q >> f.mbits) & 1u;
  const std::uint64_t field = normal ? static_cast<std::uint64_t>(e_final + f.bias()) : 0;
  if (normal && field >= emask) return {sign | inf_bits, kOverflow | kInexact};
  return {sign | (field << f.mbits) | (static_cast<std::uint64_t>(q) & mmask), flags};
}

}  // namespace mxlab
