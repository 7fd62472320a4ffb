// Element types (FP8/6/4, INT-N, E8M0, UE4M3): one append-only enum, one spec table, reference codecs.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "formats/rounding.hpp"

namespace mxlab {

// Append-only: never renumber (codes are written into packed files and the RTL package).
enum class Elem : std::uint8_t {
  e4m3 = 0,   // OCP FP8 E4M3: bias 7, NaN only at S.1111.111, no Inf, max 448
  e5m2 = 1,   // OCP FP8 E5M2: bias 15, IEEE-like Inf (S.11111.00) and NaN, max 57344
  e3m2 = 2,   // OCP FP6 E3M2: bias 3, all finite, max 28
  e2m3 = 3,   // OCP FP6 E2M3: bias 1, all finite, max 7.5
  e2m1 = 4,   // OCP FP4 E2M1: bias 1, all finite, max 6
  e1m2 = 5,   // FP4 E1M2: bias 0 (2^(E-1)-1), all finite, max 3.5
  e3m0 = 6,   // FP4 E3M0: bias 3, all finite, max 16
  int2 = 7,   // two's complement integers, symmetric range [-(2^(n-1)-1), 2^(n-1)-1]
  int4 = 8,
  int6 = 9,
  int8 = 10,
  e8m0 = 11,  // OCP MX scale: 2^(code-127), 0xFF = NaN, no zero, no sign
  ue4m3 = 12, // NVFP4 block scale: unsigned E4M3 stored in 8 bits (bit 7 zero), 0x7F = NaN
  int3 = 13,  // two's complement, symmetric range [-3, 3] (the per-group int3 formats)
};
inline constexpr int kElemCount = 14;

enum class Specials : std::uint8_t {
  none,      // every encoding is a finite number
  ocp_e4m3,  // exponent and mantissa all ones = NaN; no Inf
  ieee,      // top exponent: mantissa 0 = Inf, otherwise NaN
  e8m0,      // all ones = NaN
};

struct ElemSpec {
  Elem id;
  const char* name;
  int bits;        // storage bits of one element
  int ebits;       // exponent bits (0 for integers)
  int mbits;       // mantissa bits (value bits minus sign for integers)
  int bias;        // exponent bias (0 for integers)
  bool is_signed;  // has a sign bit (integers: two's complement)
  bool is_int;
  Specials specials;
  double max_normal;  // largest finite magnitude
  int emax;           // floor(log2(max_normal)); integers: bits-2 (the MXINT convention scales them by 2^-(bits-2))
  int emin;           // smallest normal exponent, 1 - bias (integers: 0)
};

const ElemSpec& elem_spec(Elem e);
std::span<const ElemSpec> elem_table();

// Value of an encoding (NaN for NaN encodings, +-Inf for E5M2 infinities). Integers give the integer k.
double decode_elem(Elem e, std::uint32_t code);

// Reference encoder: rounds the exact value v (see rounding.hpp) to an encoding of element type e.
// Out-of-range magnitudes saturate to +-max_normal when `saturate` (the MX rule); otherwise they become
// Inf (E5M2) or NaN (E4M3). NaN becomes the NaN encoding where one exists, else +0 (block formats mark
// NaN blocks through their scale). E8M0 is not a rounding target: use encode_e8m0.
std::uint32_t encode_elem_ref(Elem e, long double v, Round mode, std::uint32_t u24 = 0, bool saturate = true);

// E8M0 encoding of 2^x for an integer x in [-127, 127].
std::uint8_t encode_e8m0(int x);

}  // namespace mxlab
