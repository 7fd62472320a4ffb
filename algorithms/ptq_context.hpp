// The state a PTQ pipeline works on (model, calibration tokens, target scheme, recorded scales) and the hooks of
// streamed PTQ, where only the layer being quantized is resident.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/weight_scales.hpp"
#include "model/quant_scheme.hpp"
#include "model/runtime.hpp"

namespace mxlab::algorithms {

struct PtqContext;

// Streamed PTQ (as GPTQ's reference llama.py sequential mode): the decoder layers' linears are not resident.
// begin(l) puts layer l's FP32 weights into ctx.weights->layers[l]; end(l) takes the quantized layer (weights and
// ctx.scales) away, e.g. writes it to disk, and frees it. A layer-sequential step brackets all its work on a layer
// (reading it, running calibration windows through it, quantizing it) by the two calls, layers in order.
class LayerStream {
 public:
  virtual ~LayerStream() = default;
  virtual void begin(PtqContext& ctx, int layer) = 0;
  virtual void end(PtqContext& ctx, int layer) = 0;
};

using PtqLog = std::function<void(const std::string&)>;

struct PtqContext {
  std::shared_ptr<model::ModelWeights> weights;  // transformed, then quantized, in place
  std::vector<int> calib;                         // calibration token stream
  int ctx = 256;                                  // calibration window (tokens per forward)
  // The target: weight and input format of every linear (per layer through `overrides` and for_linear(id)), the
  // classifier when quantize_classifier, KV cache / attention operands, and how the deployed model multiplies.
  model::QuantScheme scheme;
  PtqLog log;                                     // progress lines (may be empty)
  // Filled by the weight quantizer step (rtn, gptq): per quantized linear, its format and block scales.
  std::map<model::LinearId, WeightScales> scales;
  // Null: every layer resident (the hooks below do nothing). Set: streamed PTQ (see LayerStream).
  std::shared_ptr<LayerStream> stream = nullptr;
  // Per decoder layer, when a step computed it (lsaq: logit-lens importance); empty otherwise.
  std::vector<double> layer_importance = {};

  // The scheme the algorithms calibrate with: `scheme`'s activation, KV and attention hooks, weight hooks off
  // (weights are quantized in place), float GEMMs.
  model::QuantScheme calibration_scheme() const;
  // The scheme to evaluate the result with: in fakequant GEMM mode the calibration scheme; in exact mode
  // `scheme` itself (weight hooks on, quantizing against the recorded scales; see deployed_runtime).
  model::QuantScheme deployed_scheme() const;
  // A runtime of the quantized weights (`quantized`, default `weights`; streamed PTQ: the checkpoint it wrote)
  // under deployed_scheme(); in exact mode every quantized linear's weight hook is given its recorded scales
  // (Runtime::set_weight_scales), so it multiplies the codes the step chose.
  model::Runtime deployed_runtime(std::shared_ptr<const model::ModelWeights> quantized = nullptr) const;
  void say(const std::string& line) const { if (log) log(line); }
  void layer_begin(int layer) { if (stream) stream->begin(*this, layer); }
  void layer_end(int layer) { if (stream) stream->end(*this, layer); }
  // The linear layers whose weights the pipeline quantizes: those with a weight format in `scheme`.
  std::vector<model::LinearId> quantized_linears() const;
  // The weight format of one linear (scheme.for_linear(id).weight).
  model::TensorQuant weight_format(model::LinearId id) const { return scheme.for_linear(id).weight; }
};

}  // namespace mxlab::algorithms
