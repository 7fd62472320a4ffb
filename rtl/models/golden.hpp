// Stimulus (seeded random + adversarial block pairs) and the golden-vector line format shared by tools and tests.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "rtl/models/block_dot_model.hpp"

namespace mxlab::rtl {

// A block pair that owns its codes, plus the expected accumulator output and flags (rtl/models/oracle_reference.hpp).
struct BlockVector {
  Elem ea = Elem::e2m1, eb = Elem::e2m1;
  bool clear = false;
  std::uint64_t xa = 127, xb = 127;    // scale port values (BlockPair)
  std::optional<std::uint64_t> alpha;  // tensor scale (units with the epilogue); none: 1
  std::vector<std::uint8_t> a, b;
  std::uint64_t acc = 0;  // expected
  unsigned flags = 0;     // expected
  BlockPair pair() const { return {ea, eb, xa, xb, clear, a, b, alpha}; }
};

struct StimulusSpec {
  int n = 32;                       // lanes
  ScaleType scale = ScaleType::e8m0;
  std::vector<Elem> elems_a, elems_b;  // element types drawn per block
  bool tensor_scale = false;           // the unit has the tensor-scale epilogue (TSCALE): vectors carry alpha
  double clear_prob = 0.125;
};

// Scale port values of interest for scale type s: E8M0 / UE4M3 every code; FP32 (+ zero point) the classes
// (+-0, +-min and max subnormal, +-min normal, +-1, near 1, +-max, +-Inf, quiet and signalling NaN, both signs),
// each with the zero points 0, 1, the element's mid code, its max code and 0xFF for FP32 + zero point.
std::vector<std::uint64_t> scale_values(ScaleType s, Elem e);

// Seeded random block pairs: element codes uniform, scales mostly near 2^0 (E8M0 127 +- 24, UE4M3 0x30..0x48, FP32
// exponent 127 +- 24 with a random mantissa and sign, zero points uniform or at the range ends), sometimes uniform
// over all codes (NaN, Inf, zero, subnormal included), element codes sometimes forced to zero or max magnitude, and
// in some blocks with the don't-care bits above each code's `bits` set (the ports use the low bits only); with a
// tensor scale, alpha mostly near 1, sometimes any FP32 bits.
std::vector<BlockVector> random_blocks(const StimulusSpec& s, std::size_t count, std::uint64_t seed);
// Adversarial pairs for one element pair: all-zero, all-max (both signs), NaN scales, extreme scales (overflow,
// subnormal and underflow results), exact cancellation, one large plus many small (sticky), alternating signs; FP32:
// negative, zero, subnormal and Inf scales, zero points at the range ends; with a tensor scale, alpha cycling
// through +-1, +-0, +-Inf, NaN, subnormals, max, and a rounding tie.
std::vector<BlockVector> adversarial_blocks(const StimulusSpec& s, Elem ea, Elem eb);
// The adversarial pairs of every element pair (ea in s.elems_a, eb in s.elems_b), in that order.
std::vector<BlockVector> adversarial_blocks(const StimulusSpec& s);

// Golden line (TestFloat style, all hex, space separated): ea eb clear xa xb [alpha] A B acc flags, where A and B are
// the N-lane code buses written as one hex number, lane N-1 first (so `$fscanf("%h")` loads the SV port directly),
// xa/xb the scale port values (2 hex digits for 8-bit scales, 8 for FP32, 10 with a zero point), alpha (8 hex
// digits) only for vectors that carry a tensor scale. parse_golden_line takes lines of 9 or 10 columns.
std::string golden_line(const BlockVector& v);
BlockVector parse_golden_line(const std::string& line, int n);  // throws std::invalid_argument on a bad line
std::string golden_header(const std::string& unit, int n, ScaleType scale, std::uint64_t seed);

}  // namespace mxlab::rtl
