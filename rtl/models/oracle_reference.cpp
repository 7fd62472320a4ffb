// The independent reference of the block dot units (rules B1-B4, A1-A5 in oracle_reference.hpp): exact rationals.
#include "rtl/models/oracle_reference.hpp"

#include <algorithm>
#include <array>
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

// A decoded code, with its finite value also as num * 2^exp (num an odd integer or 0) for the exact block sum.
struct Code {
  Value v;
  std::int64_t num = 0;
  int exp = 0;
};
using CodeTable = std::array<Code, 256>;
const CodeTable& code_table(Elem e) {  // every 8-bit port code of every element type, decoded once
  static const std::array<CodeTable, kElemCount> tables = [] {
    std::array<CodeTable, kElemCount> t;
    for (const ElemSpec& s : elem_table())
      for (std::uint32_t c = 0; c < 256; ++c) {
        Code& k = t[static_cast<std::size_t>(s.id)][c];
        k.v = from_decoded(decode_elem(s.id, c));  // decode_elem masks the code to the element's bits
        if (s.is_int) k.v.value *= pow2(-mx_frac_bits(s.id));
        if (k.v.kind != Kind::finite || k.v.value == 0) continue;
        Rational m = k.v.value;  // find m = num * 2^exp exactly (the values are dyadic)
        while (boost::multiprecision::denominator(m) != 1) m *= 2, --k.exp;
        while (boost::multiprecision::numerator(m) % 2 == 0) m /= 2, ++k.exp;
        k.num = static_cast<std::int64_t>(boost::multiprecision::numerator(m));
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
const Code& scale_code(ScaleType s, std::uint8_t code) {
  if (s == ScaleType::e8m0) return code_table(Elem::e8m0)[code];
  if (s == ScaleType::ue4m3) return code_table(Elem::ue4m3)[code];  // bit 7 dropped by decode_elem
  throw std::invalid_argument("reference: block dot units take E8M0 or UE4M3 scales, not " +
                              std::string(scale_name(s)));
}
}  // namespace

Value scale_value(ScaleType s, std::uint8_t code) { return scale_code(s, code).v; }

Value exact_block(const BlockPair& p, ScaleType s) {
  if (p.a.size() != p.b.size()) throw std::invalid_argument("reference: A and B blocks differ in length");
  const Code &xa = scale_code(s, p.xa), &xb = scale_code(s, p.xb);
  bool nan_in = xa.v.kind == Kind::nan_in || xb.v.kind == Kind::nan_in, zero_inf = false, pinf = false, ninf = false;
  // sum_i A_i B_i exactly: the products num_a num_b 2^(exp_a + exp_b) summed as integers over 2^lo
  std::vector<std::pair<std::int64_t, int>> terms;
  int lo = 0;
  const CodeTable &ta = code_table(p.ea), &tb = code_table(p.eb);
  for (std::size_t i = 0; i < p.a.size(); ++i) {
    const Code& a = ta[p.a[i]];
    const Code& b = tb[p.b[i]];
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
  if (pinf || ninf) return {pinf ? Kind::pos_inf : Kind::neg_inf, 0};                 // B3
  sum *= xa.num * xb.num;                                                             // B4: X_A X_B sum
  return {Kind::finite, Rational(sum) * pow2(lo + xa.exp + xb.exp)};
}

AccResult accumulate(const AccFormat& f, std::uint64_t acc, const Value& c) { return add(f, acc, c, nullptr); }

Coverage& Coverage::operator+=(const Coverage& o) {
  steps += o.steps, inexact += o.inexact, underflow += o.underflow, overflow += o.overflow, nan_in += o.nan_in;
  invalid += o.invalid, nan += o.nan, inf += o.inf, ties += o.ties, tiny_exact += o.tiny_exact, zero += o.zero;
  return *this;
}

std::string Coverage::str() const {
  std::ostringstream o;
  o << steps << " steps: " << inexact << " inexact (" << ties << " ties), " << underflow << " underflow, "
    << tiny_exact << " tiny exact, " << overflow << " overflow, " << nan << " NaN (" << nan_in << " nan_in, "
    << invalid << " invalid), " << inf << " Inf, " << zero << " exact zero";
  return o.str();
}

AccResult Unit::step(const BlockPair& p) {
  if (p.clear) acc_ = 0;
  const AccResult r = add(f_, acc_, exact_block(p, scale_), &cov_);
  count(cov_, f_, r);
  acc_ = r.bits;
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
