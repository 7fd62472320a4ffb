// GPTQ over the whole model, as the reference llama.py sequential mode: layer by layer, and within a layer
// the groups {q,k,v}, {o}, {gate,up}, {down} (true-sequential), each Hessian H = 2/n X^T X taken from inputs
// propagated through the already-quantized layers (with the deployed activation format upstream).
#include <sstream>

#include "algorithms/gptq.hpp"
#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

class Gptq final : public PtqAlgorithm {
 public:
  std::string_view name() const override { return "gptq"; }
  void run(PtqContext& ctx) const override {
    model::ModelWeights& w = *ctx.weights;
    model::Runtime rt(ctx.weights, ctx.deployed_scheme());
    auto quantize_group = [&](int layer, const std::vector<LinearKind>& kinds, std::ostringstream& line) {
      rt.clear_weight_cache();  // earlier groups' weights were replaced
      const Eigen::MatrixXd H = input_hessian(rt, ctx.calib, ctx.ctx, {layer, kinds.front()});
      for (LinearKind k : kinds) {
        model::Linear& lin = w.linear({layer, k});
        const GptqResult r = gptq_quantize(lin.weight, H, ctx.cfg.weights, ctx.cfg.gptq);
        lin.weight = r.weight;
        line << " " << model::kind_name(k) << " loss " << r.loss;
      }
    };
    for (int l = 0; l < w.config.n_layers; ++l) {
      std::ostringstream line;
      line << "  gptq: layer " << l << "/" << w.config.n_layers << ":";
      for (const auto& kinds : {std::vector{LinearKind::q, LinearKind::k, LinearKind::v}, std::vector{LinearKind::o},
                                std::vector{LinearKind::gate, LinearKind::up}, std::vector{LinearKind::down}})
        quantize_group(l, kinds, line);
      ctx.say(line.str());
    }
    if (ctx.cfg.quantize_classifier) {
      std::ostringstream line;
      line << "  gptq: classifier:";
      w.config.shared_classifier = false;  // untie from the token embedding
      quantize_group(-1, {LinearKind::classifier}, line);
      ctx.say(line.str());
    }
  }
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_gptq() { return std::make_unique<Gptq>(); }

}  // namespace mxlab::algorithms
