// The accumulator arithmetic shared by every dot unit: acc <- RNE(acc + exact block value), one rounding per block.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mxlab {

// An IEEE-754-style binary format (bias 2^(E-1)-1, subnormals, all-ones exponent = Inf/NaN).
// FP32 = {8, 23} is the default; wider ({11, 52}) or narrower ({8, 7}: bfloat16) accumulators are configurable.
struct AccFormat {
  int ebits = 8;
  int mbits = 23;
  int width() const { return 1 + ebits + mbits; }
  int bias() const { return (1 << (ebits - 1)) - 1; }
  std::uint64_t canonical_nan() const;  // sign 0, exponent all ones, mantissa MSB set
  double to_double(std::uint64_t bits) const;  // exact: every value of a format with E <= 11, M <= 52
  std::uint64_t from_double(double x) const;   // x rounded half to even (overflow -> Inf, NaN -> canonical)
  std::string name() const;  // fp32, bf16, fp16, fp64 or eXmY
  // "fp32" | "bf16" | "fp16" | "fp64" | "eXmY" (2 <= X <= 11, 1 <= Y <= 52); throws std::invalid_argument.
  static AccFormat parse(std::string_view name);
  bool operator==(const AccFormat&) const = default;
};

// Result flags (TestFloat's bit order): invalid 0x10 (Inf - Inf or 0 x Inf created a NaN), nan_in 0x08 (a NaN
// scale or NaN element was propagated), overflow 0x04, underflow 0x02 (inexact and the exact sum is below
// 2^emin: tininess before rounding), inexact 0x01.
enum AccFlag : unsigned { kInexact = 0x01, kUnderflow = 0x02, kOverflow = 0x04, kNanIn = 0x08, kInvalid = 0x10 };

// An exact block value: (-1)^neg * mag * 2^exp, or a special (nan wins over inf).
struct ExactValue {
  bool nan = false;
  bool inf = false;
  bool neg = false;
  unsigned __int128 mag = 0;  // < 2^100
  int exp = 0;
  unsigned nan_flags = kNanIn;  // which flag a NaN here raises (kNanIn or kInvalid)
};

struct AccResult {
  std::uint64_t bits = 0;
  unsigned flags = 0;
};

// Returns RNE(acc + v) in format f, computed exactly (round half to even, once; overflow -> +-Inf).
// An exact zero result is +0. NaN acc stays NaN; Inf + (-Inf) = NaN (invalid).
AccResult acc_add(const AccFormat& f, std::uint64_t acc, const ExactValue& v);

}  // namespace mxlab
