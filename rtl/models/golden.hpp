// Stimulus (seeded random + adversarial block pairs) and the golden-vector line format shared by tools and tests.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <random>
#include <string>
#include <vector>

#include "rtl/models/block_dot_model.hpp"

namespace mxlab::rtl {

// A block pair that owns its codes, plus the expected accumulator output and flags (rtl/models/oracle_reference.hpp).
struct BlockVector {
  Elem ea = Elem::e2m1, eb = Elem::e2m1;
  bool clear = false;
  std::uint8_t xa = 127, xb = 127;
  std::vector<std::uint8_t> a, b;
  std::uint64_t acc = 0;  // expected
  unsigned flags = 0;     // expected
  BlockPair pair() const { return {ea, eb, xa, xb, clear, a, b}; }
};

struct StimulusSpec {
  int n = 32;                       // lanes
  ScaleType scale = ScaleType::e8m0;
  std::vector<Elem> elems_a, elems_b;  // element types drawn per block
  double clear_prob = 0.125;
};

// Seeded random block pairs: element codes uniform, scales mostly near 2^0 (E8M0 127 +- 24, UE4M3 0x30..0x48),
// sometimes uniform over all codes (NaN included), element codes sometimes forced to zero or max magnitude, and in
// some blocks with the don't-care bits above each code's `bits` set (the ports use the low bits only).
std::vector<BlockVector> random_blocks(const StimulusSpec& s, std::size_t count, std::uint64_t seed);
// Adversarial pairs for one element pair: all-zero, all-max (both signs), NaN scales, extreme scales (overflow,
// subnormal and underflow results), exact cancellation, one large plus many small (sticky), alternating signs.
std::vector<BlockVector> adversarial_blocks(const StimulusSpec& s, Elem ea, Elem eb);
// The adversarial pairs of every element pair (ea in s.elems_a, eb in s.elems_b), in that order.
std::vector<BlockVector> adversarial_blocks(const StimulusSpec& s);

// Golden line (TestFloat style, all hex, space separated): ea eb clear xa xb A B acc flags, where A and B are the
// N-lane code buses written as one hex number, lane N-1 first (so `$fscanf("%h")` loads the SV port directly).
std::string golden_line(const BlockVector& v);
BlockVector parse_golden_line(const std::string& line, int n);  // throws std::invalid_argument on a bad line
std::string golden_header(const std::string& unit, int n, ScaleType scale, std::uint64_t seed);

}  // namespace mxlab::rtl
