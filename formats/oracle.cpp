// Exact oracle for every format of the table (see oracle.hpp). Slow by design; used by tests only.
#include "formats/oracle.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>

namespace mxlab::oracle {
namespace {
using Int = boost::multiprecision::cpp_int;

Rational floor_of(const Rational& v) {  // v >= 0
  return Rational(Int(boost::multiprecision::numerator(v) / boost::multiprecision::denominator(v)));
}
bool is_even_int(const Rational& n) { return (boost::multiprecision::numerator(n) % 2) == 0; }
int floor_log2(const Rational& a) {  // a > 0
  int k = 0;
  while (pow2(k) > a) --k;
  while (pow2(k + 1) <= a) ++k;
  return k;
}
// Chooses lo or hi (lo < a < hi) by the rounding mode.
Rational choose(const Rational& a, const Rational& lo, const Rational& hi, bool lo_even, Round mode, std::uint32_t u24) {
  const Rational dlo = a - lo, dhi = hi - a;
  switch (mode) {
    case Round::even: return dlo < dhi ? lo : dhi < dlo ? hi : (lo_even ? lo : hi);
    case Round::nearest: return dlo < dhi ? lo : hi;
    case Round::floor: return lo;
    case Round::stochastic: return Rational(u24) < floor_of(dlo / (hi - lo) * pow2(24)) ? hi : lo;
  }
  return lo;
}
Rational apply_sign(bool neg, const Rational& m) { return neg ? Rational(-m) : m; }
// Round to an integer by mode (no bound), on the magnitude.
Rational round_int(const Rational& v, Round mode, std::uint32_t u24) {
  const bool neg = v < 0;
  const Rational a = neg ? Rational(-v) : v, lo = floor_of(a);
  if (lo == a) return v;
  return apply_sign(neg, choose(a, lo, lo + 1, is_even_int(lo), mode, u24));
}
float nan() { return std::numeric_limits<float>::quiet_NaN(); }
bool any_special(std::span<const float> x) {
  return std::any_of(x.begin(), x.end(), [](float v) { return !std::isfinite(v); });
}
Rational abs_max(std::span<const float> x) {
  Rational m = 0;
  for (float v : x) m = std::max(m, Rational(exact(std::fabs(v))));
  return m;
}
}  // namespace

// True when round_to_f32(v) would exceed FLT_MAX: |v| >= (2 - 2^-24) 2^127, the midpoint to 2^128.
bool overflows_f32(const Rational& v) { return abs(v) >= (2 - pow2(-24)) * pow2(127); }

Rational pow2(int k) { return k >= 0 ? Rational(Int(1) << k) : Rational(Int(1), Int(1) << -k); }

Rational exact(float x) {
  if (!std::isfinite(x)) throw std::domain_error("oracle::exact of a non-finite float");
  int e;
  const float m = std::frexp(x, &e);  // x = m 2^e exactly, |m| in [0.5, 1)
  return Rational(static_cast<long long>(std::ldexp(m, 24))) * pow2(e - 24);
}

float to_float_exact(const Rational& v) {
  const float f = static_cast<float>(static_cast<double>(v));
  if (exact(f) != v) throw std::domain_error("oracle value is not a float32");
  return f;
}

Rational round_to_f32(const Rational& v) {
  if (v == 0) return v;
  const bool neg = v < 0;
  const Rational a = neg ? Rational(-v) : v;
  const int e = std::max(floor_log2(a), -126);
  const Rational step = pow2(e - 23), n = floor_of(a / step);
  if (n * step == a) return v;
  return apply_sign(neg, choose(a, n * step, (n + 1) * step, is_even_int(n), Round::even, 0));
}

std::vector<Rational> element_magnitudes(Elem e) {
  static std::mutex mu;
  static std::map<Elem, std::vector<Rational>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(e); it != cache.end()) return it->second;
  const ElemSpec& s = elem_spec(e);
  std::vector<Rational> vals;
  if (s.is_int) {
    for (int k = 0; k < (1 << (s.bits - 1)); ++k) vals.push_back(k);
  } else {
    const int emaxf = (1 << s.ebits) - 1, mmax = (1 << s.mbits) - 1;
    for (int ef = 0; ef <= emaxf; ++ef)
      for (int mf = 0; mf <= mmax; ++mf) {
        if (s.specials == Specials::ieee && ef == emaxf) continue;                    // Inf / NaN
        if (s.specials == Specials::ocp_e4m3 && ef == emaxf && mf == mmax) continue;  // NaN
        if (s.specials == Specials::e8m0) continue;
        const Rational frac = Rational(mf) / pow2(s.mbits);
        vals.push_back(ef == 0 ? frac * pow2(1 - s.bias) : (1 + frac) * pow2(ef - s.bias));
      }
  }
  if (!std::is_sorted(vals.begin(), vals.end())) throw std::logic_error("element values are not ascending");
  return cache[e] = vals;
}

Rational round_to_element(Elem e, const Rational& v, Round mode, std::uint32_t u24) {
  const auto vals = element_magnitudes(e);
  const bool neg = v < 0;
  const Rational a = neg ? Rational(-v) : v;
  if (a >= vals.back()) return apply_sign(neg, vals.back());  // saturate
  const auto hi = std::lower_bound(vals.begin(), vals.end(), a);
  if (*hi == a) return apply_sign(neg, a);
  const auto lo = hi - 1;
  // Ties to even: the neighbour that is an even multiple of the spacing hi - lo. For M >= 1 this is the even
  // code (IEEE); for E3M0 (M = 0) it is the larger power of two, as LLM-FP4's round(x / 2^(e - M)) gives.
  return apply_sign(neg, choose(a, *lo, *hi, is_even_int(*lo / (*hi - *lo)), mode, u24));
}

std::vector<float> quantize_block(Format f, std::span<const float> x, Round mode, std::uint32_t key,
                                  std::size_t first_index, float tensor_scale) {
  const FormatTraits& t = traits(f);
  const Elem el = t.elem;
  std::vector<float> out(x.size(), nan());
  auto u = [&](std::size_t i) { return stochastic_u24(key, first_index + i); };
  auto to_f = [](const Rational& r) { return static_cast<float>(static_cast<double>(round_to_f32(r))); };
  if (any_special(x)) return out;
  const Rational amax = abs_max(x);
  switch (t.family) {
    case Family::mx: {
      // OCP MX v1.0 6.3: X = floor(log2(amax)) - emax_elem (MXINT: emax 0), clamped to [-127, 127].
      const int emax = elem_spec(el).is_int ? 0 : elem_spec(el).emax;
      const int X = amax == 0 ? -127 : std::clamp(floor_log2(amax) - emax, -127, 127);
      const Rational unit = pow2(X - t.frac_bits);  // value of element code step 1 for INT, of 1.0 for FP
      for (std::size_t i = 0; i < x.size(); ++i) {
        const Rational w = round_to_element(el, exact(x[i]) / unit, mode, u(i)) * unit;
        out[i] = w == 0 && !elem_spec(el).is_int && std::signbit(x[i]) ? -0.0f : to_float_exact(w);
      }
      return out;
    }
    case Family::nvfp4: {
      // fl32 at every step, as the format is defined: s = e4m3(fl32(amax / fl32(6 g))), d = fl32(s g).
      const Rational g = exact(tensor_scale);
      const Rational code = round_to_element(Elem::ue4m3, round_to_f32(amax / round_to_f32(6 * g)), Round::even);
      const Rational d = round_to_f32(code * g);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const Rational w = d == 0 ? Rational(0) : round_to_element(el, round_to_f32(exact(x[i]) / d), mode, u(i));
        out[i] = w == 0 && d != 0 && std::signbit(x[i]) ? -0.0f : to_f(w * d);
      }
      return out;
    }
    case Family::int_group:
    case Family::fp_group: {
      const Rational s = round_to_f32(amax / Rational(elem_spec(el).max_normal));
      for (std::size_t i = 0; i < x.size(); ++i) {
        const Rational w = s == 0 ? Rational(0) : round_to_element(el, round_to_f32(exact(x[i]) / s), mode, u(i));
        const bool neg_zero = w == 0 && std::signbit(x[i]) && t.family == Family::fp_group && s != 0;
        out[i] = neg_zero ? -0.0f : to_f(w * s);
      }
      return out;
    }
    case Family::int_asym: {
      const Rational maxq = (1 << elem_spec(el).bits) - 1;
      Rational lo = 0, hi = 0;
      for (float v : x) { lo = std::min(lo, exact(v)); hi = std::max(hi, exact(v)); }
      if (overflows_f32(hi - lo)) return out;  // the FP32 scale is infinite: NaN block
      const Rational s = round_to_f32(round_to_f32(hi - lo) / maxq);
      if (s == 0) { std::fill(out.begin(), out.end(), 0.0f); return out; }
      const Rational z = std::min(round_int(round_to_f32(-lo / s), Round::even, 0), maxq);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const Rational q = std::clamp(Rational(round_int(round_to_f32(exact(x[i]) / s), mode, u(i)) + z), Rational(0), maxq);
        out[i] = to_f(s * (q - z));
      }
      return out;
    }
    case Family::vq:  // a learned codebook, not a rounding rule: tests/formats checks its nearest-codeword search
      throw std::invalid_argument(std::string("oracle: ") + t.name + " is a VQ format (no rounding rule to check)");
  }
  return out;
}

std::vector<float> fake_quantize(Format f, std::span<const float> in_raw, const QuantConfig& cfg) {
  const FormatTraits& t = traits(f);
  std::vector<float> in(in_raw.begin(), in_raw.end());
  const std::size_t block = static_cast<std::size_t>(resolve_block(t, cfg));
  float g = 1.0f;
  if (cfg.tensor_scale && cfg.tensor_scale_value > 0) {
    g = cfg.tensor_scale_value;
  } else if (cfg.tensor_scale) {  // amax / (6 * 448) in float32, as the format defines it
    Rational amax = 0;
    for (float v : in) if (std::isfinite(v)) amax = std::max(amax, Rational(exact(std::fabs(v))));
    g = static_cast<float>(static_cast<double>(round_to_f32(amax / (6 * 448))));
    if (!(g > 0) || !std::isfinite(g)) g = 1.0f;
  }
  std::vector<float> out;
  out.reserve(in.size());
  for (std::size_t first = 0; first < in.size(); first += block) {
    const std::span<float> blk = std::span<float>(in).subspan(first, std::min(block, in.size() - first));
    // flush_fp32_subnorms: a block whose exact amax is below 2^-126 is multiplied by 0.
    if (cfg.flush_subnormal_inputs && !any_special(blk) && abs_max(blk) < pow2(-126))
      for (float& v : blk) v = std::signbit(v) ? -0.0f : 0.0f;
    const auto q = quantize_block(f, blk, cfg.round, stochastic_key(cfg.seed), cfg.index_base + first, g);
    out.insert(out.end(), q.begin(), q.end());
  }
  return out;
}

Rational acc_value(const AccFormat& f, std::uint64_t bits) {
  const std::uint64_t ef = (bits >> f.mbits) & ((std::uint64_t{1} << f.ebits) - 1), mf = bits & ((std::uint64_t{1} << f.mbits) - 1);
  const Rational mag = ef == 0 ? Rational(mf) * pow2(1 - f.bias() - f.mbits)
                               : Rational(mf + (std::uint64_t{1} << f.mbits)) * pow2(static_cast<int>(ef) - f.bias() - f.mbits);
  return (bits >> (f.ebits + f.mbits)) & 1u ? Rational(-mag) : mag;
}

namespace {
std::uint64_t to_u64(const Rational& integral) { return static_cast<std::uint64_t>(numerator(integral)); }
// Bits of a positive value that is exactly representable in f.
std::uint64_t exact_bits(const AccFormat& f, const Rational& r) {
  const int emin = 1 - f.bias();
  if (r < pow2(emin)) return to_u64(r / pow2(emin - f.mbits));
  const int e = floor_log2(r);
  const std::uint64_t mant = to_u64(r / pow2(e - f.mbits)) - (std::uint64_t{1} << f.mbits);
  return static_cast<std::uint64_t>(e + f.bias()) << f.mbits | mant;
}
}  // namespace

std::uint64_t round_exact(const AccFormat& f, const Rational& v) {
  if (v == 0) return 0;
  const bool neg = v < 0;
  const Rational a = neg ? Rational(-v) : v;
  const int emin = 1 - f.bias();
  const int e = std::max(floor_log2(a), emin);
  const Rational step = pow2(e - f.mbits);
  Rational q = a / step;
  Int n = numerator(q) / denominator(q);
  const Rational rem = q - Rational(n);
  if (rem > Rational(1, 2) || (rem == Rational(1, 2) && (n & 1) != 0)) ++n;
  const std::uint64_t sign = neg ? std::uint64_t{1} << (f.ebits + f.mbits) : 0;
  const std::uint64_t inf = ((std::uint64_t{1} << f.ebits) - 1) << f.mbits;
  const Rational r = Rational(n) * step;
  if (r >= pow2(f.bias() + 1)) return sign | inf;  // >= 2^(emax+1): overflow
  return sign | exact_bits(f, r);
}

}  // namespace mxlab::oracle
