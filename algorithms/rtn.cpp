// RTN: every quantized linear's weight rounded to the nearest value of its weight format (each output row a
// flat vector, blocks along the input dimension), written back in place layer by layer; the block scales are recorded.
#include <map>

#include "algorithms/steps.hpp"
#include "model/progress.hpp"

namespace mxlab::algorithms {
namespace {

class Rtn final : public PtqAlgorithm {
 public:
  std::string_view name() const override { return "rtn"; }
  bool streams() const override { return true; }
  void run(PtqContext& ctx) const override {
    std::map<std::string, int> formats;  // for the log line
    const std::vector<model::LinearId> ids = ctx.quantized_linears();
    model::Progress bar("rtn", ids.size());
    auto quantize = [&](model::LinearId id) {
      if (id.kind == model::LinearKind::classifier) ctx.weights->config.shared_classifier = false;  // untie
      const model::TensorQuant q = ctx.weight_format(id);
      // The weight's own stochastic-rounding stream: the one the runtime's weight hook uses for this layer.
      ctx.scales[id] = rtn_quantize(q.in_stream(model::quant_stream(id, 0)), ctx.weights->linear(id).weight);
      ++formats[q.describe()];
      bar.step();
    };
    // Layer by layer (streamed PTQ reads each layer in and writes it out), then the classifier.
    for (int l = 0; l < ctx.weights->config.n_layers; ++l) {
      ctx.layer_begin(l);
      for (const auto& id : ids)
        if (id.layer == l && id.kind != model::LinearKind::classifier) quantize(id);
      ctx.layer_end(l);
    }
    for (const auto& id : ids)
      if (id.kind == model::LinearKind::classifier) quantize(id);
    std::string line = "  rtn: " + std::to_string(ids.size()) + " linears ->";
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
