// Post-training quantization: one interface for every algorithm, a registry by name, and pipelines of them.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/step_params.hpp"
#include "algorithms/weight_scales.hpp"
#include "model/quant_scheme.hpp"
#include "model/runtime.hpp"

namespace mxlab::algorithms {

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

  // The scheme the algorithms calibrate with: `scheme`'s activation, KV and attention hooks, weight hooks off
  // (weights are quantized in place), float GEMMs.
  model::QuantScheme calibration_scheme() const;
  // The scheme to evaluate the result with: in fakequant GEMM mode the calibration scheme; in exact mode
  // `scheme` itself (weight hooks on, quantizing against the recorded scales; see deployed_runtime).
  model::QuantScheme deployed_scheme() const;
  // A runtime of the quantized weights under deployed_scheme(); in exact mode every quantized linear's weight
  // hook is given its recorded scales (Runtime::set_weight_scales), so it multiplies the codes the step chose.
  model::Runtime deployed_runtime() const;
  void say(const std::string& line) const { if (log) log(line); }
  // The linear layers whose weights the pipeline quantizes: those with a weight format in `scheme`.
  std::vector<model::LinearId> quantized_linears() const;
  // The weight format of one linear (scheme.for_linear(id).weight).
  model::TensorQuant weight_format(model::LinearId id) const { return scheme.for_linear(id).weight; }
};

class PtqAlgorithm {
 public:
  virtual ~PtqAlgorithm() = default;
  virtual std::string_view name() const = 0;
  virtual void run(PtqContext& ctx) const = 0;
};

// Registered names, in the order a pipeline must respect: lsaq (per-layer formats), smoothquant, awq (transforms),
// then one quantizer: rtn | gptq | gptvq | llmfp4 | aweq.
std::vector<std::string> algorithm_names();
// One step, "name[:key=value..]"; throws std::invalid_argument listing the names, or naming a bad parameter.
std::unique_ptr<PtqAlgorithm> make_algorithm(std::string_view step);

// "smoothquant:alpha=0.6+awq:clip=off+gptq:act_order=on": steps separated by '+', each with its parameters
// after ':' (see README). Transforms in registry order, then at most one quantizer; rtn is appended when the
// pipeline ends without one. Throws std::invalid_argument on an unknown name or parameter, a repeat or a wrong
// order.
std::vector<std::unique_ptr<PtqAlgorithm>> parse_pipeline(std::string_view spec);
void run_pipeline(std::string_view spec, PtqContext& ctx);

}  // namespace mxlab::algorithms
