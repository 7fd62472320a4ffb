// Bit-exact model of the block dot-product units (MX: E8M0 scales, block 32; NVFP4: UE4M3 scales, block 16).
#pragma once
#include <cstdint>
#include <span>

#include "formats/element.hpp"
#include "rtl/models/fp_acc.hpp"

namespace mxlab::rtl {

enum class BlockScale : std::uint8_t { e8m0, ue4m3 };

// One block pair. Codes are one per lane (the element's low `bits` bits are used).
struct BlockPair {
  Elem ea = Elem::e2m1;
  Elem eb = Elem::e2m1;
  std::uint8_t xa = 127;  // scale codes (E8M0 or UE4M3)
  std::uint8_t xb = 127;
  bool clear = false;  // start a new accumulation at +0 before adding this block
  std::span<const std::uint8_t> a;
  std::span<const std::uint8_t> b;
};

// The exact block value X_A X_B sum_i A_i B_i (OCP MX v1.0 6.1 Dot), as magnitude * 2^exp with special flags:
// a NaN scale or NaN element gives NaN (nan_in); 0 x Inf or +Inf + -Inf gives NaN (invalid); else any Inf
// product gives that Inf. All arithmetic is integer: products sig_a sig_b 2^(sh_a + sh_b) are summed exactly.
ExactValue block_value(const BlockPair& p, BlockScale scale);

// Streaming model of one dot unit: acc <- RNE_acc(acc + block_value) per block pair, acc reset to +0 on clear.
class BlockDotModel {
 public:
  explicit BlockDotModel(BlockScale scale, AccFormat f = {}) : scale_(scale), f_(f) {}
  AccResult step(const BlockPair& p);
  std::uint64_t acc() const { return acc_; }
  const AccFormat& format() const { return f_; }

 private:
  BlockScale scale_;
  AccFormat f_;
  std::uint64_t acc_ = 0;
};

}  // namespace mxlab::rtl
