// GPTQ (Frantar et al. 2023, Algorithm 1) with any format of the table as its quantizer.
#pragma once
#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string_view>
#include <vector>

#include "algorithms/ptq.hpp"
#include "model/quant_scheme.hpp"

namespace mxlab::algorithms {

using model::Matrix;

struct GptqOptions {
  double percdamp = 0.01;     // lambda = percdamp * mean(diag H) added to the diagonal
  int blocksize = 128;        // lazy batch: columns updated together
  bool act_order = false;     // quantize columns in order of decreasing diag(H) (implies static groups)
  bool static_groups = false; // group scales from the weights before any update (else at each group's first column)
};

struct GptqResult {
  Matrix weight;     // the quantized (fake-quant) weight, out x in
  double loss = 0;   // sum over rows of sum_j (w_j - q_j)^2 / [H^-1]_jj^2 / 2 (the reference's Losses)
  int dead_columns = 0;
  double percdamp = 0;  // the dampening that made H positive definite (opt.percdamp, or 10x, 100x, 1000x it)
  // The scale of every group the weight was quantized against (BlockQuantizer::scale_bytes): rows x
  // ceil(in / group) groups in input-channel order, row-major; and the nvfp4 tensor scale (1 when unused).
  std::vector<std::uint8_t> scale_bytes;
  float tensor_scale = 1.0f;
};

// H = 2/n X^T X over the calibration inputs of the layer (in x in). Dead inputs (H_jj = 0) get H_jj = 1 and
// their weights zeroed. Each output row is one flat vector of the format, blocks (groups) along the input
// dimension; a block's scale is decided from the already-updated weights when its first column is reached
// (or from the original weights with static groups / act order). nvfp4's tensor scale comes from the input W.
GptqResult gptq_quantize(const Matrix& weight, const Eigen::MatrixXd& hessian, const model::TensorQuant& quant,
                         const GptqOptions& opt = {});

// GPTQ's whole-model order (the reference llama.py, sequential): layer by layer, within a layer the groups
// {q,k,v}, {o}, {gate,up}, {down}, then the classifier; calls quantize(id, H, line) for every quantized linear
// with H = 2/n X^T X of its inputs through the already-quantized layers (X quantized in the layer's input format
// with quantized_inputs). quantize replaces the linear's weight; `who` names the step in the progress lines.
using QuantizeLinearFn = std::function<void(model::LinearId id, const Eigen::MatrixXd& hessian, std::ostream& line)>;
void quantize_sequentially(PtqContext& ctx, std::string_view who, bool quantized_inputs, const QuantizeLinearFn& quantize);

}  // namespace mxlab::algorithms
