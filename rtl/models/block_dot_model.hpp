// Streaming model of the block dot units: lanes and scale bytes as the RTL ports carry them, arithmetic from
// formats/dot.hpp (exact block value) and formats/accumulate.hpp (one RNE rounding per block).
#pragma once
#include <cstdint>
#include <span>

#include "formats/accumulate.hpp"
#include "formats/dot.hpp"

namespace mxlab::rtl {

// One block pair as the unit's ports carry it: element types (MX convention: MX INT elements are k * 2^-frac),
// one scale byte each (E8M0 or UE4M3), one code per lane (the element's low `bits` bits are used).
struct BlockPair {
  Elem ea = Elem::e2m1;
  Elem eb = Elem::e2m1;
  std::uint8_t xa = 127;  // scale codes (E8M0 or UE4M3)
  std::uint8_t xb = 127;
  bool clear = false;  // start a new accumulation at +0 before adding this block
  std::span<const std::uint8_t> a;
  std::span<const std::uint8_t> b;
};

// The exact block value of a pair (formats/dot.hpp block_value); `scale` is E8M0 or UE4M3.
ExactValue block_value(const BlockPair& p, ScaleType scale);

// Streaming model of one dot unit: acc <- RNE_acc(acc + block_value) per block pair, acc reset to +0 on clear.
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
