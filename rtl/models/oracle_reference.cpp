// The independent reference of the block dot units (rules B1-B4, A1-A5 in oracle_reference.hpp): exact rationals.
#include "rtl/models/oracle_reference.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace mxlab::rtl::reference {
namespace {
using oracle::pow2;

// Exact value of a decoded number (every element and scale value is a float32).
Value from_decoded(double d) {
  if (std::isnan(d)) return {Kind::nan_in, 0};
  if (std::isinf(d)) return {d > 0 ? Kind::pos_inf : Kind::neg_inf, 0};
  const auto x = static_cast<float>(d);
  if (static_cast<double>(x) != d) throw std::logic_error("reference: a decoded value is not a float32");
  return {Kind::finite, oracle::exact(x)};
}

int mx_frac_bits(Elem e) {  // OCP MX v1.0 5.3.3: MXINT-n elements are k * 2^-(n-2), from the traits table
  for (const FormatTraits& t : format_table())
    if (t.family == Family::mx && t.elem == e) return t.frac_bits;
  return 0;
}

// INT elements under scale type s: k * 2^-frac_bits with the frac_bits of the table's format pairing that element
// with that scale type (INT per group, FP32 scale: 0, integers), else of the MX format (5.3.3).
int frac_bits(Elem e, ScaleType s) {
  for (const FormatTraits& t : format_table())
    if (t.elem == e && t.scale == s) return t.frac_bits;
  return mx_frac_bits(e);
}

// A decoded code, with its finite value also as num * 2^exp (num an odd integer or 0) for the exact block sum.
struct Code {
  Value v;
  std::int64_t num = 0;
  int exp = 0;
};
Code make_code(const Value& v) {
  Code k{v};
  if (v.kind != Kind::finite || v.value == 0) return k;
  Rational m = v.value;  // find m = num * 2^exp exactly (the values are dyadic)
  while (boost::multiprecision::denominator(m) != 1) m *= 2, --k.exp;
  while (boost::multiprecision::numerator(m) % 2 == 0) m /= 2, ++k.exp;
  k.num = static_cast<std::int64_t>(boost::multiprecision::numerator(m));
  return k;
}
using CodeTable = std::array<Code, 256>;
const CodeTable& code_table(Elem e) {  // every 8-bit port code of every element type, decoded once
  static const std::array<CodeTable, kElemCount> tables = [] {
    std::array<CodeTable, kElemCount> t;
    for (const ElemSpec& s : elem_table())
      for (std::uint32_t c = 0; c < 256; ++c) {
        Value v = from_decoded(decode_elem(s.id, c));  // decode_elem masks the code to the element's bits
        if (s.is_int) v.value *= pow2(-mx_frac_bits(s.id));
        t[static_cast<std::size_t>(s.id)][c] = make_code(v);
      }
    return t;
  }();
  return tables.at(static_cast<std::size_t>(e));
}

bool negative(const Value& v) { return v.kind == Kind::neg_inf || (v.kind == Kind::finite && v.value < 0); }
bool is_inf(const Value& v) { return v.kind == Kind::pos_inf || v.kind == Kind::neg_inf; }

struct Bits {  // the fields of an accumulator format
  std::uint64_t emask, mmask, sign, inf, nan;
  explicit Bits(const AccFormat& f)
      : emask((std::uint64_t{1} << f.ebits) - 1),
        mmask((std::uint64_t{1} << f.mbits) - 1),
        sign(std::uint64_t{1} << (f.ebits + f.mbits)),
        inf(emask << f.mbits),
        nan(inf | std::uint64_t{1} << (f.mbits - 1)) {}
  bool top_exponent(std::uint64_t x) const { return (x & inf) == inf; }
};

// floor(log2 |s|) of a nonzero dyadic rational (every value here is an integer times a power of two).
int floor_log2(const Rational& s) {
  const auto& den = boost::multiprecision::denominator(s);
  return static_cast<int>(boost::multiprecision::msb(abs(boost::multiprecision::numerator(s)))) -
         static_cast<int>(boost::multiprecision::msb(den));
}

// Rules A1-A5; `cov` (if given) counts what the step exercised.
AccResult add(const AccFormat& f, std::uint64_t acc, const Value& c, Coverage* cov) {
  const Bits b(f);
  const bool acc_special = b.top_exponent(acc), acc_nan = acc_special && (acc & b.mmask) != 0;
  const bool acc_neg = (acc & b.sign) != 0;
  if (acc_nan) return {b.nan, 0};                                               // A1
  if (c.kind == Kind::nan_in) return {b.nan, kNanIn};                           // A2
  if (c.kind == Kind::invalid) return {b.nan, kInvalid};
  if (acc_special && is_inf(c) && acc_neg != negative(c)) return {b.nan, kInvalid};  // A3
  if (acc_special) return {acc, 0};                                             // A4
  if (is_inf(c)) return {(negative(c) ? b.sign : 0) | b.inf, 0};
  const Rational s = oracle::acc_value(f, acc) + c.value;                       // A5
  if (s == 0) {
    if (cov) ++cov->zero;
    return {0, 0};
  }
  const int emin = 1 - f.bias(), e = floor_log2(s);  // |s| in [2^e, 2^(e+1))
  const bool tiny = e < emin;
  const std::uint64_t sign = s < 0 ? b.sign : 0;
  // Far outside the format the rounding is decided without rounding: |s| >= 2^(emax+1) is beyond every finite
  // value and half an ulp past the largest; |s| < 2^(emin-M-1) is below half the smallest subnormal.
  if (e > f.bias()) return {sign | b.inf, kOverflow | kInexact};
  if (e < emin - f.mbits - 1) return {sign, kUnderflow | kInexact};
  const std::uint64_t r = oracle::round_exact(f, s);
  if (b.top_exponent(r)) return {r, kOverflow | kInexact};
  const Rational rv = oracle::acc_value(f, r);
  if (rv == s) {
    if (cov && tiny) ++cov->tiny_exact;
    return {r, 0};
  }
  // a tie iff s is half a step of its binade (2^(max(e, emin) - M)) away from the rounded value
  if (cov) cov->ties += abs(s - rv) == pow2(std::max(e, emin) - f.mbits - 1);
  return {r, kInexact | (tiny ? kUnderflow : 0u)};
}

void count(Coverage& cov, const AccFormat& f, const AccResult& r) {
  const Bits b(f);
  ++cov.steps;
  cov.inexact += (r.flags & kInexact) != 0;
  cov.underflow += (r.flags & kUnderflow) != 0;
  cov.overflow += (r.flags & kOverflow) != 0;
  cov.nan_in += (r.flags & kNanIn) != 0;
  cov.invalid += (r.flags & kInvalid) != 0;
  cov.nan += b.top_exponent(r.bits) && (r.bits & b.mmask) != 0;
  cov.inf += b.top_exponent(r.bits) && (r.bits & b.mmask) == 0;
}
}  // namespace

Value elem_value(Elem e, std::uint32_t code) { return code_table(e)[code & 0xFF].v; }

namespace {
struct ScaleCode {
  Code c;
  int zero = 0;  // zero point (FP32 + zero point)
};
ScaleCode scale_code(ScaleType s, std::uint64_t x) {
  switch (s) {
    case ScaleType::e8m0: return {code_table(Elem::e8m0)[x & 0xFF]};
    case ScaleType::ue4m3: return {code_table(Elem::ue4m3)[x & 0xFF]};  // bit 7 dropped by decode_elem
    case ScaleType::fp32:
    case ScaleType::fp32_zero:
    case ScaleType::vq_codebook: {  // IEEE binary32 (VQ: the codebook's scale); a non-finite scale: NaN block
      const float f = std::bit_cast<float>(static_cast<std::uint32_t>(x));
      const Value v = std::isfinite(f) ? Value{Kind::finite, oracle::exact(f)} : Value{Kind::nan_in, 0};
      return {make_code(v), s == ScaleType::fp32_zero ? static_cast<int>((x >> 32) & 0xFF) : 0};
    }
  }
  throw std::invalid_argument("reference: unknown scale type");
}
}  // namespace

Value scale_value(ScaleType s, std::uint64_t code) { return scale_code(s, code).c.v; }

Value exact_block(const BlockPair& p, ScaleType s) {
  if (p.a.size() != p.b.size()) throw std::invalid_argument("reference: A and B blocks differ in length");
  const ScaleCode sa = scale_code(s, p.xa), sb = scale_code(s, p.xb);
  const Code &xa = sa.c, &xb = sb.c;
  bool nan_in = xa.v.kind == Kind::nan_in || xb.v.kind == Kind::nan_in, zero_inf = false, pinf = false, ninf = false;
  // sum_i A_i B_i exactly: the products num_a num_b 2^(exp_a + exp_b) summed as integers over 2^lo
  std::vector<std::pair<std::int64_t, int>> terms;
  int lo = 0;
  const CodeTable &ta = code_table(p.ea), &tb = code_table(p.eb);
  // element value under the scale type: asymmetric INT the unsigned code minus the zero point; INT k * 2^-frac_bits
  auto elem = [&](const CodeTable& t, Elem e, std::uint8_t code, const ScaleCode& sc) {
    if (s == ScaleType::fp32_zero) {
      const int k = static_cast<int>(code & ((1u << elem_spec(e).bits) - 1)) - sc.zero;
      return make_code({Kind::finite, Rational(k)});
    }
    Code c = t[code];
    if (elem_spec(e).is_int && c.num != 0) c.exp += mx_frac_bits(e) - frac_bits(e, s);
    return c;
  };
  for (std::size_t i = 0; i < p.a.size(); ++i) {
    const Code a = elem(ta, p.ea, p.a[i], sa);
    const Code b = elem(tb, p.eb, p.b[i], sb);
    if (a.v.kind == Kind::nan_in || b.v.kind == Kind::nan_in) {
      nan_in = true;
    } else if (is_inf(a.v) || is_inf(b.v)) {
      if ((!is_inf(a.v) && a.num == 0) || (!is_inf(b.v) && b.num == 0)) zero_inf = true;  // Inf x 0
      else (negative(a.v) != negative(b.v) ? ninf : pinf) = true;
    } else if (a.num != 0 && b.num != 0) {
      terms.emplace_back(a.num * b.num, a.exp + b.exp);
      lo = std::min(lo, a.exp + b.exp);
    }
  }
  boost::multiprecision::cpp_int sum = 0;
  for (const auto& [num, exp] : terms) sum += boost::multiprecision::cpp_int(num) << (exp - lo);
  if (nan_in) return {Kind::nan_in, 0};                                                   // B1
  if (zero_inf || (pinf && ninf) || ((pinf || ninf) && (xa.num == 0 || xb.num == 0)))  // B2
    return {Kind::invalid, 0};
  if (pinf || ninf) return {pinf != (negative(xa.v) != negative(xb.v)) ? Kind::pos_inf : Kind::neg_inf, 0};  // B3
  sum *= xa.num * xb.num;                                                             // B4: X_A X_B sum
  return {Kind::finite, Rational(sum) * pow2(lo + xa.exp + xb.exp)};
}

AccResult accumulate(const AccFormat& f, std::uint64_t acc, const Value& c) { return add(f, acc, c, nullptr); }

Coverage& Coverage::operator+=(const Coverage& o) {
  steps += o.steps, inexact += o.inexact, underflow += o.underflow, overflow += o.overflow, nan_in += o.nan_in;
  invalid += o.invalid, nan += o.nan, inf += o.inf, ties += o.ties, tiny_exact += o.tiny_exact, zero += o.zero;
  scaled += o.scaled;
  return *this;
}

std::string Coverage::str() const {
  std::ostringstream o;
  o << steps << " steps: " << inexact << " inexact (" << ties << " ties), " << underflow << " underflow, "
    << tiny_exact << " tiny exact, " << overflow << " overflow, " << nan << " NaN (" << nan_in << " nan_in, "
    << invalid << " invalid), " << inf << " Inf, " << zero << " exact zero";
  if (scaled) o << ", " << scaled << " tensor-scaled";
  return o.str();
}

AccResult tensor_scale(const AccFormat& f, std::uint64_t acc, std::uint64_t alpha) {
  const Bits b(f);
  const std::uint64_t mask = b.sign | b.inf | b.mmask;
  acc &= mask, alpha &= mask;
  auto is_nan = [&](std::uint64_t x) { return b.top_exponent(x) && (x & b.mmask) != 0; };
  auto is_inf = [&](std::uint64_t x) { return b.top_exponent(x) && (x & b.mmask) == 0; };
  auto is_zero = [&](std::uint64_t x) { return (x & ~b.sign) == 0; };
  const std::uint64_t sign = (acc ^ alpha) & b.sign;
  AccResult r;
  if (is_nan(acc)) r = {b.nan, 0};                                                          // E1
  else if (is_nan(alpha)) r = {b.nan, kNanIn};                                              // E2
  else if ((is_inf(acc) && is_zero(alpha)) || (is_inf(alpha) && is_zero(acc))) r = {b.nan, kInvalid};  // E3
  else if (is_inf(acc) || is_inf(alpha)) r = {sign | b.inf, 0};                             // E4
  else if (is_zero(acc) || is_zero(alpha)) r = {sign, 0};
  else r = add(f, 0, {Kind::finite, oracle::acc_value(f, acc) * oracle::acc_value(f, alpha)}, nullptr);  // E5
  if (f == AccFormat{}) {  // FP32: the exact GEMM's epilogue, float(acc) * alpha, IEEE RNE on this machine
    const float x = std::bit_cast<float>(static_cast<std::uint32_t>(acc)) *
                    std::bit_cast<float>(static_cast<std::uint32_t>(alpha));
    const std::uint64_t bits = std::isnan(x) ? b.nan : std::bit_cast<std::uint32_t>(x);
    if (bits != r.bits)
      throw std::logic_error("reference: the exact tensor-scale product disagrees with the float multiply");
  }
  return r;
}

AccResult Unit::step(const BlockPair& p) {
  if (p.clear) acc_ = 0;
  AccResult r = add(f_, acc_, exact_block(p, scale_), &cov_);
  acc_ = r.bits;
  if (p.alpha) {
    const AccResult e = tensor_scale(f_, r.bits, *p.alpha);
    r = {e.bits, r.flags | e.flags};
    ++cov_.scaled;
  }
  count(cov_, f_, r);
  return r;
}

Coverage expect(std::vector<BlockVector>& v, ScaleType scale, const AccFormat& f) {
  Unit u(scale, f);
  for (BlockVector& x : v) {
    const AccResult r = u.step(x.pair());
    x.acc = r.bits;
    x.flags = r.flags;
  }
  return u.coverage();
}

}  // namespace mxlab::rtl::reference
