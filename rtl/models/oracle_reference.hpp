// The independent reference of the block dot units: expected accumulator bits and flags computed with exact
// rationals (formats/oracle.hpp, Boost.Multiprecision) from the spec decoder formats::decode_elem, never from
// formats/fixed_elem, dot or accumulate (the arithmetic the RTL and its C++ model share). Tests, golden vectors.
//
// Rules, as this reference states them (OCP MX v1.0 section 6.1 Dot: C = X_A X_B sum_i A_i B_i; IEEE 754-2019 for
// the products, the sum and the one rounding; flags as formats/accumulate.hpp documents them):
//  Element values: codes are masked to the element's bits and decoded by decode_elem; INT elements are
//    k * 2^-frac_bits with the frac_bits of the traits table's format pairing that element with the unit's scale type
//    (INT per group with an FP32 scale: integers), else of the MX format of that element (OCP MX v1.0 5.3.3).
//    Asymmetric INT (FP32 + zero point): the unsigned code (masked to the element's bits) minus the zero point.
//  Scales: E8M0 2^(x - 127), 0xFF NaN (5.4); UE4M3 unsigned E4M3 (bit 7 is not part of the value), 0x7F NaN, 0x00 zero;
//    FP32: the IEEE binary32 value of bits [31:0] (signed, zero, subnormal), Inf or NaN -> a NaN block; FP32 + zero
//    point: the same, zero point = bits [39:32].
//  Block (section 6.1: a NaN scale makes the block NaN; the products and their sum follow IEEE 754):
//   B1 a NaN scale or a NaN element                  -> NaN, flag nan_in (0x08), whatever else the block holds;
//   B2 else a product Inf x 0, a sum (+Inf) + (-Inf), or an Inf sum times a zero scale -> NaN, flag invalid (0x10);
//   B3 else an Inf product                           -> Inf of that sign times the scales' signs;
//   B4 else the exact rational X_A X_B sum_i A_i B_i.
//  Accumulate acc <- RNE(acc + C) once per block, acc = +0 before a block with `clear`:
//   A1 a NaN accumulator stays the canonical NaN (sign 0, exponent all ones, mantissa MSB) and raises nothing;
//   A2 a NaN block gives the canonical NaN and its flag (B1/B2);
//   A3 Inf + Inf of the other sign -> canonical NaN, invalid;
//   A4 Inf + finite (either way) or Inf + Inf of the same sign -> that Inf, no flag (an exact result);
//   A5 finite: s = acc + C exactly; s = 0 -> +0, no flag; else round half to even onto the format
//      (oracle::round_exact; a nonzero s that rounds to zero keeps its sign). inexact (0x01) iff the rounded value
//      differs from s; overflow (0x04, with inexact) iff it rounds to Inf; underflow (0x02) iff inexact and
//      0 < |s| < 2^emin (tininess before rounding).
//  Tensor-scale epilogue (units with TSCALE; a vector carrying alpha): output = RNE(acc * alpha), acc the accumulator
//  after the step (which carries on unscaled), alpha in the accumulator's format; flags = the step's | these:
//   E1 acc NaN -> canonical NaN, no flag;  E2 alpha NaN -> canonical NaN, nan_in;  E3 0 x Inf -> canonical NaN,
//   invalid;  E4 Inf x nonzero -> Inf, sign xor, no flag;  zero x finite -> zero of the xor sign, no flag;
//   E5 else p = acc * alpha exactly, rounded as A5 (inexact, overflow, underflow: tiny before rounding).
//   For FP32 the result bits are checked against the C++ float multiply float(acc) * alpha (the exact GEMM's
//   epilogue, formats/exact_gemm.cpp), NaN canonical.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "formats/oracle.hpp"
#include "rtl/models/golden.hpp"

namespace mxlab::rtl::reference {

using oracle::Rational;

// A decoded element or scale, or a whole block: a finite exact value or one of the special classes.
enum class Kind : std::uint8_t { finite, pos_inf, neg_inf, nan_in, invalid };
struct Value {
  Kind kind = Kind::finite;
  Rational value;  // finite only
};

Value elem_value(Elem e, std::uint32_t code);   // MX convention for INT (see above); nan_in for NaN codes
Value scale_value(ScaleType s, std::uint64_t code);  // the scale's value (the zero point is not part of it)
Value exact_block(const BlockPair& p, ScaleType s);  // rules B1-B4 (X_A X_B sum_i A_i B_i or its special class)

// One accumulation step (rules A1-A5).
AccResult accumulate(const AccFormat& f, std::uint64_t acc, const Value& c);
// The tensor-scale epilogue RNE(acc * alpha) and its own flags (rules E1-E5). Throws std::logic_error if, for FP32,
// the exact result disagrees with the float multiply.
AccResult tensor_scale(const AccFormat& f, std::uint64_t acc, std::uint64_t alpha);

// What the flags and results of a stream covered (counted from the reference's own results).
struct Coverage {
  std::size_t steps = 0;
  std::size_t inexact = 0, underflow = 0, overflow = 0, nan_in = 0, invalid = 0;
  std::size_t nan = 0, inf = 0;         // results
  std::size_t ties = 0;                 // s exactly halfway between two neighbours (round half to even decides)
  std::size_t tiny_exact = 0;           // 0 < |s| < 2^emin and exact: no underflow flag
  std::size_t zero = 0;                 // exact zero results (cancellation or empty blocks)
  std::size_t scaled = 0;               // outputs through the tensor-scale epilogue
  Coverage& operator+=(const Coverage& o);
  std::string str() const;  // "N steps: I inexact, U underflow, ..."
};

// The streaming reference of one unit: acc <- rule A(acc, rule B(pair)), acc = +0 on clear; the output is acc, or
// rule E(acc, alpha) when the pair carries a tensor scale.
class Unit {
 public:
  explicit Unit(ScaleType scale, AccFormat f = {}) : scale_(scale), f_(f) {}
  AccResult step(const BlockPair& p);
  const Coverage& coverage() const { return cov_; }

 private:
  ScaleType scale_;
  AccFormat f_;
  std::uint64_t acc_ = 0;
  Coverage cov_;
};

// Fills every vector's expected acc/flags from the reference, in order; returns what the stream covered.
Coverage expect(std::vector<BlockVector>& v, ScaleType scale, const AccFormat& f = {});

}  // namespace mxlab::rtl::reference
