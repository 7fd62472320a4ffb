// GPTVQ (van Baalen et al. 2024, "GPTVQ: The Blessing of Dimensionality for LLM Quantization", Algorithm 1):
// vector quantization of D consecutive input columns of a row with one learned codebook per group of weights,
// interleaved with GPTQ's updates of the columns not yet quantized, then a codebook update and INT8 codebooks.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "formats/vq_codebook.hpp"
#include "model/quant_scheme.hpp"

namespace mxlab::algorithms {

using model::Matrix;

struct GptvqOptions {
  int dim = 2;                // D: columns per vector (1, 2 or 4)
  int bits = 2;               // index bits per weight: K = 2^(bits * D) codewords
  int group = 2048;           // weights per codebook (target): rows_per_group = max(1, round(group / columns))
  int columns = 256;          // columns per codebook group (clipped to the layer's inputs, a multiple of D)
  int rows_per_group = 0;     // > 0: rows per codebook group, overriding group (a VQ format's blocks: 1 row)
  int iters = 100;            // EM iterations of each codebook (stops early at a fixed point)
  VqStorage storage = VqStorage::int8;  // codebook entries: INT8 with scale max|c| / 127 (the paper), or FP16
  bool update = true;         // codebook update after all columns: least squares in tr((W - Q) H (W - Q)^T)
  double percdamp = 0.01;     // as GPTQ
  std::uint64_t seed = 0;     // k-means++ draws
};

struct GptvqResult {
  Matrix weight;                       // the dequantized weight, out x in
  double loss = 0;                     // GPTQ's sum (w - q)^2 / [U]_jj^2 / 2 over the column loop
  int dead_columns = 0;
  double percdamp = 0;                 // the dampening that worked (GPTQ's schedule: x10 up to 3 times)
  int rows_per_group = 0, cols_per_group = 0;
  // Codebooks in row-block-major order (row block rb, column block cb at rb * column_blocks + cb) and the index
  // of every vector, rows x (in / D), row-major.
  std::vector<VqCodebook> codebooks;
  std::vector<std::uint32_t> indices;
  std::uint64_t bits = 0;              // exact storage: rows * in * bits + sum of the codebooks' storage_bits
  // tr((W - Q) H (W - Q)^T) before and after the codebook update (equal when it is off or did not help).
  double error_before_update = 0, error_after_update = 0;
  double bits_per_weight() const { return static_cast<double>(bits) / static_cast<double>(weight.size()); }
};

// H = 2/n X^T X over the layer's calibration inputs (in x in), as for gptq_quantize; dead inputs zeroed.
// Columns are quantized D at a time left to right. At a column block's first column each row block's codebook
// is learned from the weights as updated so far (weighted_kmeans, h_j = 1/[H_F^-1]_jj = 1/U_jj^2 for column j:
// GPTQ's saliency of the column when it is quantized) and rounded to its storage; each D-vector takes the
// codeword argmin_k sum_d h_d (w_d - c_kd)^2 (VqCodebook::encode), and the columns right of it absorb the error
// (w - q) / U_jj through row j of U. Throws std::invalid_argument when in is not a multiple of D or on bad options.
GptvqResult gptvq_quantize(const Matrix& weight, const Eigen::MatrixXd& hessian, const GptvqOptions& opt = {});

// The block "scales" of a VQ format (formats/vq_codecs.cpp: FP32 scale + K x D int8 entries per block) of a result
// whose groups are single rows (rows_per_group 1, columns = the format's block): rows x ceil(in / C) codebooks,
// row-major, as formats/packed.hpp's pack_rows and ExactMatrix::with_scales take them. INT8 codebooks only.
std::vector<std::uint8_t> vq_block_scales(const GptvqResult& r, Eigen::Index rows, Eigen::Index cols);

}  // namespace mxlab::algorithms
