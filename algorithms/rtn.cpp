// RTN: every quantized linear's weight rounded to the nearest value of its weight format (each output row a
// flat vector, blocks along the input dimension), written back in place; the block scales are recorded.
#include <map>

#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

class Rtn final : public PtqAlgorithm {
 public:
  std::string_view name() const override { return "rtn"; }
  void run(PtqContext& ctx) const override {
    std::map<std::string, int> formats;  // for the log line
    for (const auto& id : ctx.quantized_linears()) {
      if (id.kind == model::LinearKind::classifier) ctx.weights->config.shared_classifier = false;  // untie
      const model::TensorQuant q = ctx.weight_format(id);
      // The weight's own stochastic-rounding stream: the one the runtime's weight hook uses for this layer.
      ctx.scales[id] = rtn_quantize(q.in_stream(model::quant_stream(id, 0)), ctx.weights->linear(id).weight);
      ++formats[q.describe()];
    }
    std::string line = "  rtn: " + std::to_string(ctx.quantized_linears().size()) + " linears ->";
    for (const auto& [f, n] : formats) line += " " + f + (formats.size() > 1 ? " x" + std::to_string(n) : "");
    ctx.say(line);
  }
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_rtn(const StepParams& p) {
  p.expect({});
  return std::make_unique<Rtn>();
}

}  // namespace mxlab::algorithms
