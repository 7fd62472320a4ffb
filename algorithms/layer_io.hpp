// What the PTQ algorithms need from a running model: captured layer inputs, re-running parts of one block on
// them with substitute weights, and folding per-channel scales into a layer and its predecessor.
#pragma once
#include <functional>
#include <map>

#include "model/calibration.hpp"
#include "model/runtime.hpp"

namespace mxlab::algorithms {

using model::LinearId;
using model::LinearKind;
using model::Matrix;
using model::Vector;

// The calibration windows' hidden states at the input of one layer (the reference GPTQ's layer-input cache):
// a capture re-runs only that layer, and advance() moves every window through it with the runtime's current
// weights and hooks, so a pass over the model costs one forward, not one per captured group (cost linear in
// depth). Bit for bit the inputs a full forward of the same windows would give.
class LayerInputs {
 public:
  // Windows of ctx tokens (0 = seq_len; tail dropped) at layer 0's input (token embeddings).
  LayerInputs(const model::Runtime& rt, std::span<const int> calib, int ctx);
  int layer() const { return layer_; }  // n_layers: the classifier's input (before the final RMSNorm)
  std::size_t windows() const { return x_.size(); }
  // Runs layer() (at n_layers: the final RMSNorm and classifier) on every window, feeding `observer` the inputs
  // of the linears `wanted` accepts (empty = all) in window order. Windows run in parallel (parallel_runs: each
  // with the stochastic-rounding streams a sequential loop would give it), each serially inside.
  void observe(model::Runtime& rt, model::LinearObserver& observer, const std::function<bool(LinearId)>& wanted = {}) const;
  // Moves every window through layer() with the runtime's current weights and hooks (windows in parallel).
  void advance(model::Runtime& rt);

 private:
  friend class StagedLayer;
  std::vector<Matrix> x_;
  int layer_ = 0, n_layers_;
};

// True-sequential capture of one layer in stages (GPTQ's groups {q,k,v}, {o}, {gate,up}, {down}): each group's
// inputs are computed once per window from what the previous stage left, with the runtime's current weights (the
// earlier groups already replaced), so a window goes through the layer once in all instead of once per group plus
// once to advance. Per window it holds the layer's residual stream and the current group's inputs (at {down}:
// hidden_dim wide). The same arithmetic as run_layers, hence bit for bit the inputs LayerInputs::observe gives
// after the same weight changes, for deterministic rounding; each stage draws the stochastic-rounding streams of
// one forward call per window (as each observe() pass did), so with stochastic rounding a stage's inputs differ.
class StagedLayer {
 public:
  // The inputs of inputs.layer()'s q, k and v (the attention RMSNorm of the layer input).
  StagedLayer(model::Runtime& rt, LayerInputs& inputs);
  // The first linear of the group whose inputs are held (q, o, gate, down; classifier once done).
  LinearKind group() const { return kGroups[stage_]; }
  // GPTQ's H = 2/n X^T X of the held inputs over the windows in window order (as input_hessian; with `act`
  // enabled X quantized row by row in that format first).
  Eigen::MatrixXd hessian(const model::TensorQuant* act = nullptr) const;
  // Computes the next group's inputs with the runtime's current weights; after {down}, moves the layer inputs
  // through the layer (LayerInputs::advance) and holds nothing.
  void next(model::Runtime& rt);
  bool done() const { return stage_ == 4; }

 private:
  static constexpr LinearKind kGroups[5] = {LinearKind::q, LinearKind::o, LinearKind::gate, LinearKind::down,
                                            LinearKind::classifier};
  LayerInputs& inputs_;
  std::vector<Matrix> in_;  // per window: the held group's inputs
  int stage_ = 0;
};

// The input rows of `id` (a linear of inputs.layer(), or the classifier at n_layers), windows concatenated.
Matrix record_inputs(model::Runtime& runtime, const LayerInputs& inputs, LinearId id);
// GPTQ's H = 2/n X^T X of `id`'s inputs over the calibration windows (n = tokens). With `act` (enabled), X is
// first quantized row by row in that format, as the deployed layer's input hook quantizes it.
Eigen::MatrixXd input_hessian(model::Runtime& runtime, const LayerInputs& inputs, LinearId id,
                              const model::TensorQuant* act = nullptr);

// Substitute weights for some linears of one block (absent = the model's own).
using WeightOverrides = std::map<LinearKind, Matrix>;
// What some linears of one block multiply instead of their input (e.g. AWQ's x / s quantized in the activation
// format); absent kinds multiply their input as is.
using InputMaps = std::map<LinearKind, std::function<Matrix(const Matrix&)>>;

// Attention sub-block of layer l on its normalized input xb (windows of ctx rows, positions 0..ctx-1 each):
// o(attention(RoPE(q xb), RoPE(k xb), v xb)), no quantization hooks but `in`.
Matrix attention_output(const model::ModelWeights& w, int layer, const Matrix& xb, int ctx, const WeightOverrides& sub = {},
                        const InputMaps& in = {});
// Feed-forward sub-block of layer l on its normalized input: down(silu(gate x) * up x).
Matrix mlp_output(const model::ModelWeights& w, int layer, const Matrix& x, const WeightOverrides& sub = {},
                  const InputMaps& in = {});
// One linear layer: x W^T + b.
Matrix linear_output(const model::Linear& lin, const Matrix& x, const Matrix* weight = nullptr);

// Scales input channel j of the given layers' weights by s_j and divides the predecessor's output channel j
// by s_j (an RMSNorm weight, or a linear's rows and bias), an exact equivalence in real arithmetic.
void fold_scales(model::ModelWeights& w, int layer, const std::vector<LinearKind>& layers, const Vector& s);

// The predecessor of a group of linears sharing one input: the attention or FFN RMSNorm, v for o, up for down.
enum class Predecessor { rms_att, rms_ffn, v, up };
Predecessor predecessor_of(LinearKind first);

}  // namespace mxlab::algorithms
