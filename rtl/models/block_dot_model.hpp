// Streaming model of the block dot units: lanes and scale bytes as the RTL ports carry them, arithmetic from
// formats/dot.hpp (exact block value) and formats/accumulate.hpp (one RNE rounding per block).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "formats/accumulate.hpp"
#include "formats/dot.hpp"

namespace mxlab::rtl {

// One block pair as the unit's ports carry it: element types (their values under the unit's scale type:
// scale_elem_lsb), the scale port values (E8M0 or UE4M3: one byte; FP32: the binary32 bits; FP32 + zero point: the
// zero point in bits [39:32]), one code per lane (the element's low `bits` bits are used), and the tensor scale of a
// unit with the epilogue (TSCALE), in the accumulator's format.
struct BlockPair {
  Elem ea = Elem::e2m1;
  Elem eb = Elem::e2m1;
  std::uint64_t xa = 127;  // scale port values
  std::uint64_t xb = 127;
  bool clear = false;  // start a new accumulation at +0 before adding this block
  std::span<const std::uint8_t> a;
  std::span<const std::uint8_t> b;
  std::optional<std::uint64_t> alpha;  // tensor scale: output = RNE(acc * alpha); none: output = acc
};

// A scale port value as the packed scale bytes (formats/packed.hpp: little-endian FP32, then the zero point).
std::array<std::uint8_t, 8> scale_port_bytes(std::uint64_t x);

// The exact block value of a pair (formats/dot.hpp block_value) under scale type `scale`.
ExactValue block_value(const BlockPair& p, ScaleType scale);

// The tensor-scale epilogue RNE(acc * alpha) in format f (both operands in f), flags as mxlab_fp_mul raises them:
// acc NaN -> canonical NaN, no flag; alpha NaN -> canonical NaN, nan_in; 0 x Inf -> NaN, invalid; Inf x nonzero ->
// Inf; a zero product -> zero of the xor sign; else the exact product rounded once (acc_add of formats/accumulate.hpp).
// Throws std::invalid_argument for formats whose significand product exceeds ExactValue (2 (M + 1) > 100 bits).
AccResult tensor_scale(const AccFormat& f, std::uint64_t acc, std::uint64_t alpha);

// Streaming model of one dot unit: acc <- RNE_acc(acc + block_value) per block pair, acc reset to +0 on clear; the
// output is acc, or tensor_scale(acc, alpha) with the flags of both when the pair carries alpha.
class BlockDotModel {
 public:
  explicit BlockDotModel(ScaleType scale, AccFormat f = {}) : scale_(scale), f_(f) {}
  AccResult step(const BlockPair& p);
  std::uint64_t acc() const { return acc_; }
  const AccFormat& format() const { return f_; }

 private:
  ScaleType scale_;
  AccFormat f_;
  std::uint64_t acc_ = 0;
};

}  // namespace mxlab::rtl
