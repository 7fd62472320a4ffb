// LLM-FP4's pre-shifted exponent bias (Liu et al. 2023, sec. 4.2; nbasyl/LLM-FP4 FPPTQSLBatchingQuantLinear_fpq):
// per-input-channel activation biases b*_c re-parameterized as a real per-tensor bias t plus integer shifts,
// b_c = clamp(round(b*_c), round(t), round(t) + 2^E - 1) - round(t) + t = t + rho_c, rho_c in [0, 2^E - 1].
// Since Q_{t + rho}(x) = 2^-rho Q_t(2^rho x) exactly, the shift 2^rho_c folds into the predecessor's output
// channel c and 2^-rho_c into the weight's column c (the exponent bias of the weight element): inference then
// quantizes activations with the one per-tensor bias t.
#pragma once
#include <vector>

#include "algorithms/llm_fp4.hpp"

namespace mxlab::algorithms {

struct ActPreshift {
  double t = 0;          // the per-tensor (real-valued) bias
  std::vector<int> rho;  // per input channel: the integer shift, b_c = t + rho_c
};

// b*_c from each channel's max |x| (initial_bias: maxval_c = channel_amax_c; an all-zero channel takes t), then
// rho_c as above for the tensor bias t.
ActPreshift act_preshift(const Eigen::VectorXf& channel_amax, const FpSplit& s, double t);
// The tensor bias whose maxval is the largest channel max: min_c b*_c (the reference's initial a_interval).
double initial_tensor_bias(const Eigen::VectorXf& channel_amax, const FpSplit& s);

// The unfolded activation quantizer: channel c of every row quantized with bias t + rho_c (fp_group codec against
// llmfp4_scale(t) * 2^-rho_c, the FP32 scale of bias t + rho_c).
Matrix quantize_act_per_channel(const Matrix& x, const FpSplit& s, const ActPreshift& p);
// The folded (deployed) one: every value quantized with the per-tensor bias t.
Matrix quantize_act_per_tensor(const Matrix& x, const FpSplit& s, double t);

// Folds the shifts into layer `layer`: the predecessor of `kinds` (fold_scales) multiplies output channel c by
// 2^rho_c, and each linear of `kinds` multiplies weight column c by 2^-rho_c (exact in float barring
// under/overflow).
void fold_preshift(model::ModelWeights& w, int layer, const std::vector<model::LinearKind>& kinds, const ActPreshift& p);

// x with column c times 2^(sign * rho_c) (exact in float barring under/overflow): the folded input (sign +1) or
// the folded weight (sign -1) of shifts rho.
Matrix shift_columns(const Matrix& x, const std::vector<int>& rho, int sign);

// LLM-FP4's search for the linears sharing one input x (q/k/v, gate/up, or one linear), in the deployed (folded)
// form: one activation quantizer for the input, the per-tensor bias t with shifts rho (all 0 without `shift`,
// where no predecessor takes them), and per linear the row biases of its folded weight W diag(2^-rho) (the
// weights[i].split the best of `splits` for that linear). The deployed layer i computes
// Q_t(x diag(2^rho)) Q(W_i diag(2^-rho))^T. `rounds` times (the reference's 3): every linear's weight search
// given the activation quantizer so far (the first with activations unquantized), then the tensor bias among
// t0 * grid (t0 = initial_tensor_bias; rho = act_preshift(.., t), each weight re-quantized with its row scales
// so far) with the least output error summed over the linears; then a last weight search for the final rho.
struct GroupFp4Calibration {
  ActPreshift acts;
  std::vector<RowBiasSearch> weights;
};
GroupFp4Calibration calibrate_group(const Matrix& x, const std::vector<Matrix>& w, const std::vector<FpSplit>& splits,
                                    const FpSplit& as, bool shift, int rounds = 3, const BiasGrid& grid = {});

}  // namespace mxlab::algorithms
