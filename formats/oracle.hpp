// The exact oracle: quantizes with Boost.Multiprecision rationals and no float shortcut, straight from the
// spec definitions (element values from the spec formula, nearest neighbours by exact comparison).
#pragma once
#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <span>
#include <vector>

#include "formats/accumulate.hpp"
#include "formats/format.hpp"

namespace mxlab::oracle {

using Rational = boost::multiprecision::cpp_rational;

Rational exact(float x);                 // the exact value of a finite float32
Rational pow2(int k);                    // 2^k
float to_float_exact(const Rational& v);  // throws std::domain_error unless v is exactly a float32
Rational round_to_f32(const Rational& v);  // IEEE binary32 round-half-to-even (finite, no overflow)

// Accumulator formats (formats/accumulate.hpp): the exact value of finite bits, and IEEE round-half-to-even
// of an exact value into the format (+0 for 0, overflow to +-Inf).
Rational acc_value(const AccFormat& f, std::uint64_t bits);
std::uint64_t round_exact(const AccFormat& f, const Rational& v);

// Non-negative finite values of element type e, ascending, from the spec formula:
// FP normal (1 + m/2^M) 2^(e - bias), subnormal (m/2^M) 2^(1 - bias), minus the NaN/Inf encodings;
// INT k = 0 .. 2^(n-1) - 1.
std::vector<Rational> element_magnitudes(Elem e);

// Rounds v onto element e's values by `mode`, saturating at the largest one. Ties to even pick the neighbour
// that is an even multiple of the spacing between the two (the even code when M >= 1); stochastic rounds up iff
// u24 < floor((|v| - lo) / (hi - lo) * 2^24).
Rational round_to_element(Elem e, const Rational& v, Round mode, std::uint32_t u24 = 0);

// Fake quantization of one block, all arithmetic exact; NaN blocks come back as quiet NaNs.
// `tensor_scale` is nvfp4's second-level scale (1 when unused).
std::vector<float> quantize_block(Format f, std::span<const float> x, Round mode, std::uint32_t key,
                                  std::size_t first_index, float tensor_scale = 1.0f);

// Whole-tensor fake quantization by the oracle (blocks of cfg.block, cfg's rounding/seed/tensor scale).
std::vector<float> fake_quantize(Format f, std::span<const float> in, const QuantConfig& cfg = {});

}  // namespace mxlab::oracle
