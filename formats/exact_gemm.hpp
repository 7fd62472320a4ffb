// Exact quantized GEMM: each output is the running sum, along K, of the exact block values of one row of A and
// one row of W (formats/dot.hpp), rounded once per block into an accumulator format (formats/accumulate.hpp):
// the arithmetic of a hardware dot unit, at model speed. The fast path (integer block dots, round-to-odd double
// accumulation) equals the reference (block_value + acc_add over reference-encoded blocks) bit for bit.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "formats/accumulate.hpp"
#include "formats/format.hpp"
#include "formats/packed.hpp"

namespace mxlab {

// A rows x cols matrix in a block format, blocks along each row (restarting at every row, as the runtime
// quantizes weights and activations), held as exact fixed-point elements and exact block scales.
struct ExactMatrix {
  Format format{};
  int block = 0, rows = 0, cols = 0;
  int lsb = 0;                         // element value = fixed * 2^lsb * block scale
  int max_bits = 0;                    // bit width of the largest |fixed|
  std::vector<std::int16_t> fixed16;   // rows x cols, when every |fixed| < 2^15
  std::vector<std::int32_t> fixed32;   // rows x cols, when every |fixed| < 2^31
  std::vector<std::int64_t> fixed64;   // rows x cols, otherwise (MXFP8 E5M2)
  // Per block (rows x blocks_per_row): scale = (-1)^neg sig 2^exp exactly, as a double too; NaN blocks.
  std::vector<std::uint32_t> scale_sig;
  std::vector<std::int32_t> scale_exp;
  std::vector<double> scale;
  std::vector<std::uint8_t> scale_width, nan;  // significant bits of scale_sig; NaN scale (the block is NaN)
  std::vector<float> tensor_scale;       // per row: nvfp4's second-level scale, applied after the sum (1 if none);
                                         // quantize gives every row the matrix's scale

  int blocks_per_row() const { return block ? (cols + block - 1) / block : 0; }
  std::int64_t at(std::size_t i) const;  // fixed element i (row-major)

  // Quantizes x (row-major rows x cols) in format f, each row a flat vector exactly as fake_quantize sees it
  // (stochastic draws at cfg.index_base + r * cols; cfg.tensor_scale: one nvfp4 tensor scale for the matrix).
  static ExactMatrix quantize(Format f, const QuantConfig& cfg, std::span<const float> x, int rows, int cols);
  // Values already quantized (e.g. by a PTQ algorithm) against known block scales: rows x blocks_per_row
  // scales of traits(f).scale_bits() / 8 bytes, row-major. Throws std::invalid_argument naming the first value
  // that is not an element of its block times the scale (so the codes are exactly the ones the values stand for).
  static ExactMatrix with_scales(Format f, int block, std::span<const float> x, int rows, int cols,
                                 std::span<const std::uint8_t> scales, float tensor_scale = 1.0f);
};

// out (a.rows x w.rows, row-major) = A W^T exactly as the hardware computes it: out[m][n] = fl32(alpha * acc)
// where acc starts at +0 and takes acc <- RNE_acc(acc + block_value) for each block pair along K in order (a
// block pair is the overlap of one A block and one W block: the pieces between consecutive block boundaries of
// either operand; with nested block sizes, the finer blocks), and alpha = fl32(tensor_scale_a[m] *
// tensor_scale_w[n]) (1 without nvfp4 tensor scales). Throws std::invalid_argument on mismatched shapes.
void exact_gemm(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out);

// The reference: the same sum from reference-encoded rows (one PackedTensor per row, e.g. encode_ref of each
// row) through block_value and acc_add, block pair by block pair. Slow and plain; the oracle of exact_gemm.
void exact_gemm_ref(std::span<const PackedTensor> a_rows, std::span<const PackedTensor> w_rows, const AccFormat& acc,
                    std::span<float> out);

}  // namespace mxlab
