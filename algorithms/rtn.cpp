// RTN: every quantized linear's weight rounded to the nearest value of the weight format (each output row a
// flat vector, blocks along the input dimension), written back in place.
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

class Rtn final : public PtqAlgorithm {
 public:
  std::string_view name() const override { return "rtn"; }
  void run(PtqContext& ctx) const override {
    for (const auto& id : ctx.quantized_linears()) {
      if (id.kind == model::LinearKind::classifier) ctx.weights->config.shared_classifier = false;  // untie
      model::quantize_rows(ctx.cfg.weights, ctx.weights->linear(id).weight);
    }
    ctx.say("  rtn: " + std::to_string(ctx.quantized_linears().size()) + " linears -> " + ctx.cfg.weights.describe());
  }
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_rtn() { return std::make_unique<Rtn>(); }

}  // namespace mxlab::algorithms
