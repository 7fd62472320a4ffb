// The hand-written spec table of the block dot arithmetic (OCP MX v1.0 6.1, IEEE 754-2019 round half to even, the
// flags of formats/accumulate.hpp): literal inputs, literal expected bits and flags, nothing computed. The reference
// and the model are checked against it (reference_test.cpp), and the RTL runs it (block_dot_cosim_test.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "rtl/models/golden.hpp"

namespace mxlab::rtl {

struct SpecCase {
  const char* what;
  Elem ea, eb;
  ScaleType scale;
  std::uint64_t xa, xb;  // scale port values (FP32 + zero point: zero point in bits 39:32)
  std::vector<std::pair<std::uint8_t, std::uint8_t>> lanes;  // codes (A, B) of lanes 0, 1, ...; the rest are 0
  std::uint64_t acc_before;
  std::uint64_t want;
  unsigned flags;
  AccFormat f = {};
  std::optional<std::uint64_t> alpha = {};  // tensor scale (TSCALE units): want = RNE(acc * alpha)
};
const std::vector<SpecCase>& spec_cases();

// The case's block pair (16 lanes with UE4M3 scales, 32 with the others), clear off.
BlockVector spec_block(const SpecCase& c);

// Block pairs of an E4M3 x E4M3 unit with E8M0 scales (N >= 24 lanes) that leave an FP32 accumulator holding
// exactly `bits` (finite: one exact block, its significand bits one lane each; -0: a block rounding to -0; NaN: a
// NaN scale; Inf: an overflowing block); the first clears. Empty for +0.
std::vector<BlockVector> fp32_setter_blocks(std::uint32_t bits, int lanes);

}  // namespace mxlab::rtl
