// The one exact quantized dot product (OCP MX v1.0 section 6.1 Dot): the exact value of a block pair,
// X_A X_B sum_i A_i B_i, for every scale type of the table. The runtime's exact GEMM (exact_gemm.hpp), the RTL
// unit models (rtl/models) and the accelerator all compute with it; accumulate.hpp rounds it into an accumulator.
#pragma once
#include <cstdint>
#include <span>

#include "formats/accumulate.hpp"
#include "formats/fixed_elem.hpp"
#include "formats/format.hpp"

namespace mxlab {

// A block scale decoded exactly: value = (-1)^neg * sig * 2^exp. E8M0 0xFF, UE4M3 0x7F (bit 7 ignored) and a
// non-finite FP32 scale are NaN. `zero` is the asymmetric formats' integer zero point (elements are code - zero).
struct ExactScale {
  bool nan = false;
  bool neg = false;
  std::uint32_t sig = 0;
  int exp = 0;
  int zero = 0;
};
// `bytes` as packed (formats/packed.hpp): one E8M0 / UE4M3 byte, FP32 little-endian, then the zero-point byte.
ExactScale decode_scale(ScaleType s, const std::uint8_t* bytes);

// The fixed-point LSB exponent of format t's elements: FP emin - mbits; MX INT -frac_bits (k * 2^-frac_bits);
// INT per group (symmetric and asymmetric) 0: the elements are the integers the FP32 scale multiplies.
int format_elem_lsb(const FormatTraits& t);

// The LSB exponent of element type e's values under scale type s: format_elem_lsb of the table's format with that
// element and scale type (INT per group, symmetric or asymmetric: integers; MX INT: k * 2^-frac_bits), elem_lsb(e)
// when no format pairs them. The RTL block dot units and their models take element types and scale types apart.
int scale_elem_lsb(Elem e, ScaleType s);

// One operand block: element type, fixed-point LSB, scale, and one element code per lane (low bits used).
struct BlockOperand {
  Elem elem = Elem::e2m1;
  int lsb = 0;
  ScaleType scale = ScaleType::e8m0;
  const std::uint8_t* scale_bytes = nullptr;
  std::span<const std::uint8_t> codes;
};
BlockOperand block_operand(const FormatTraits& t, const std::uint8_t* scale_bytes, std::span<const std::uint8_t> codes);

// Element i of an operand in fixed-point form (value = (-1)^neg sig 2^(sh + lsb) times the scale).
// Asymmetric INT (ScaleType::fp32_zero): code - zero, an unsigned code minus the zero point.
FixedElem operand_element(const BlockOperand& o, const ExactScale& s, std::size_t i);

// The exact block value X_A X_B sum_i A_i B_i as magnitude * 2^exp with special flags: a NaN scale or NaN
// element gives NaN (nan_in); 0 x Inf, +Inf + -Inf or Inf times a zero scale give NaN (invalid); else any Inf
// product gives that Inf. All arithmetic is integer (products sig_a sig_b 2^(sh_a + sh_b) summed exactly), so
// the result is exact for every pair of formats of the table (|mag| < 2^100, as acc_add requires).
// Throws std::invalid_argument when the blocks differ in length.
ExactValue block_value(const BlockOperand& a, const BlockOperand& b);

}  // namespace mxlab
