// Post-training quantization: one interface for every algorithm, a registry by name, and pipelines of them.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algorithms/gptq.hpp"
#include "model/quant_scheme.hpp"
#include "model/weights.hpp"

namespace mxlab::algorithms {

struct PtqConfig {
  model::TensorQuant weights;        // weight format of every block linear (required)
  model::TensorQuant acts;           // input (activation) format of every block linear; none = weight-only
  bool quantize_classifier = false;  // also the classifier (weights and, with acts, its input)
  double sq_alpha = 0.5;             // SmoothQuant migration strength
  bool sq_search = false;            // SmoothQuant: pick alpha in {0, 0.1, .., 1} by calibration KL
  int awq_grid = 20;                 // AWQ: ratios 0, 1/grid, .., (grid-1)/grid
  bool awq_clip = true;              // AWQ: weight-clipping search after the scales
  GptqOptions gptq;
};

struct PtqContext {
  std::shared_ptr<model::ModelWeights> weights;  // transformed, then quantized, in place
  std::vector<int> calib;                         // calibration token stream
  int ctx = 256;                                  // calibration window (tokens per forward)
  PtqConfig cfg;
  std::function<void(const std::string&)> log;   // progress lines (may be empty)

  // The scheme to evaluate the result with: activation hooks only (weights are already quantized in place).
  model::QuantScheme deployed_scheme() const;
  void say(const std::string& line) const { if (log) log(line); }
  // The linear layers whose weights the pipeline quantizes (block linears, and the classifier when asked).
  std::vector<model::LinearId> quantized_linears() const;
};

class PtqAlgorithm {
 public:
  virtual ~PtqAlgorithm() = default;
  virtual std::string_view name() const = 0;
  virtual void run(PtqContext& ctx) const = 0;
};

// Registered names, in the order a pipeline must respect: smoothquant, awq (transforms), rtn | gptq (quantizers).
std::vector<std::string> algorithm_names();
std::unique_ptr<PtqAlgorithm> make_algorithm(std::string_view name);  // throws listing the names

// "smoothquant+awq+gptq": transforms in registry order, then at most one quantizer; rtn is appended when the
// pipeline ends without one. Throws std::invalid_argument on an unknown name, a repeat or a wrong order.
std::vector<std::unique_ptr<PtqAlgorithm>> parse_pipeline(std::string_view spec);
void run_pipeline(std::string_view spec, PtqContext& ctx);

}  // namespace mxlab::algorithms
