// What a weight quantizer step records per linear layer: the format it applied and the block scales it quantized
// against (what a packed model or an exact GEMM needs), and the exact storage cost of such a weight.
#pragma once
#include <cstdint>
#include <vector>

#include "model/quant_scheme.hpp"

namespace mxlab::algorithms {

using model::Matrix;

struct WeightScales {
  model::TensorQuant quant;         // the weight format applied (block, rounding, tensor scale)
  Eigen::Index rows = 0, cols = 0;  // the weight's shape (out x in); blocks run along each row
  int block = 0;                    // resolved block size along the input dimension
  // rows x ceil(cols / block) block scales, row-major, traits(format).scale_bits() / 8 bytes each.
  std::vector<std::uint8_t> bytes;
  float tensor_scale = 1.0f;        // nvfp4 per-tensor FP32 scale (quant.cfg.tensor_scale), else 1

  Eigen::Index blocks_per_row() const { return (cols + block - 1) / block; }
  std::size_t scale_bytes() const;  // bytes of one block's scale
};

// Exact storage of a rows x cols weight in format q: rows * (ceil(cols / b) * scale_bits + cols * element bits)
// bits, plus 32 for an nvfp4 FP32 tensor scale. Throws if q has no format.
std::uint64_t weight_bits(const model::TensorQuant& q, Eigen::Index rows, Eigen::Index cols);

// Round-to-nearest of every row of w in place (blocks along the row, as model::quantize_rows), returning the
// scale of every block, encoded exactly as the codec does. With an nvfp4 tensor scale, one scale for the whole
// matrix (amax / (6 * 448)) rather than per row.
WeightScales rtn_quantize(const model::TensorQuant& q, Matrix& w);

}  // namespace mxlab::algorithms
