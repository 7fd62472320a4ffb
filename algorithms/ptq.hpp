// Post-training quantization: one interface for every algorithm, a registry by name, and pipelines of them.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/ptq_context.hpp"
#include "algorithms/step_params.hpp"

namespace mxlab::algorithms {

class PtqAlgorithm {
 public:
  virtual ~PtqAlgorithm() = default;
  virtual std::string_view name() const = 0;
  virtual void run(PtqContext& ctx) const = 0;
  // Whether the step works layer by layer through PtqContext's layer_begin/layer_end (streamed PTQ may run it).
  virtual bool streams() const { return false; }
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
// Throws std::invalid_argument naming the first step of `spec` that cannot run streamed (PtqAlgorithm::streams).
void require_streaming(std::string_view spec);
void run_pipeline(std::string_view spec, PtqContext& ctx);

}  // namespace mxlab::algorithms
