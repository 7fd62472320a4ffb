// GPTQ over the whole model, as the reference llama.py sequential mode: layer by layer, and within a layer
// the groups {q,k,v}, {o}, {gate,up}, {down} (true-sequential), each Hessian H = 2/n X^T X taken from inputs
// propagated through the already-quantized layers (with the activation formats upstream). X is the layer's
// input before its own activation quantization (hessian_from=float, the reference's choice: its inputs come
// from the quantized model so far, it has no activation quantizer), or that input quantized in the layer's
// activation format as the deployed layer multiplies it (hessian_from=quantized; the same without one). Each
// linear is quantized in its own weight format. Parameters: act_order=off, static_groups=off, percdamp=0.01,
// blocksize=128, hessian_from=float.
#include <sstream>

#include "algorithms/gptq.hpp"
#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"
#include "model/progress.hpp"

namespace mxlab::algorithms {

void quantize_sequentially(PtqContext& ctx, std::string_view who, bool quantized_inputs, const QuantizeLinearFn& quantize) {
  model::ModelWeights& w = *ctx.weights;
  model::Runtime rt(ctx.weights, ctx.calibration_scheme());
  LayerInputs inputs(rt, ctx.calib, ctx.ctx);  // advanced one layer at a time through the quantized layers
  // The linears of a group sharing one input, quantized from the Hessian of the first one's inputs.
  using HessianFn = std::function<Eigen::MatrixXd(const model::TensorQuant* act)>;
  auto quantize_group = [&](int layer, const std::vector<LinearKind>& kinds, const HessianFn& hessian, std::ostringstream& line) {
    bool any = false;
    for (LinearKind k : kinds) any = any || ctx.weight_format({layer, k}).enabled();
    if (!any) return;  // all left in FP by per-layer overrides
    const model::TensorQuant act = ctx.scheme.for_linear({layer, kinds.front()}).input;
    const Eigen::MatrixXd H = hessian(quantized_inputs ? &act : nullptr);
    for (LinearKind k : kinds)
      if (ctx.weight_format({layer, k}).enabled()) quantize({layer, k}, H, line);
    rt.clear_weight_cache();  // the group's weights were replaced
  };
  const bool head = ctx.weight_format({-1, LinearKind::classifier}).enabled();
  model::Progress bar(std::string(who), static_cast<std::size_t>(w.config.n_layers + (head ? 1 : 0)));
  for (int l = 0; l < w.config.n_layers; ++l, bar.step()) {
    std::ostringstream line;
    line << "  " << who << ": layer " << l << "/" << w.config.n_layers << ":";
    ctx.layer_begin(l);  // streamed: the layer's FP32 weights are read in
    rt.clear_weight_cache();
    // Each group's inputs once per window, from the previous stage's state (StagedLayer); after down the inputs
    // have moved through the quantized layer.
    for (StagedLayer staged(rt, inputs); !staged.done(); staged.next(rt)) {
      const LinearKind g = staged.group();
      const std::vector<LinearKind> kinds = g == LinearKind::q      ? std::vector{LinearKind::q, LinearKind::k, LinearKind::v}
                                            : g == LinearKind::gate ? std::vector{LinearKind::gate, LinearKind::up}
                                                                    : std::vector{g};
      quantize_group(l, kinds, [&](const model::TensorQuant* act) { return staged.hessian(act); }, line);
    }
    ctx.layer_end(l);  // streamed: the quantized layer is written out and dropped
    ctx.say(line.str());
  }
  if (head) {
    std::ostringstream line;
    line << "  " << who << ": classifier:";
    w.config.shared_classifier = false;  // untie from the token embedding
    const LinearId id{-1, LinearKind::classifier};
    quantize_group(-1, {LinearKind::classifier}, [&](const model::TensorQuant* act) { return input_hessian(rt, inputs, id, act); },
                   line);
    bar.step();
    ctx.say(line.str());
  }
}

namespace {

class Gptq final : public PtqAlgorithm {
 public:
  Gptq(GptqOptions opt, bool quantized_inputs) : opt_(opt), quantized_inputs_(quantized_inputs) {}
  std::string_view name() const override { return "gptq"; }
  bool streams() const override { return true; }
  void run(PtqContext& ctx) const override {
    quantize_sequentially(ctx, "gptq", quantized_inputs_, [&](LinearId id, const Eigen::MatrixXd& H, std::ostream& line) {
      const model::TensorQuant quant = ctx.weight_format(id);
      model::Linear& lin = ctx.weights->linear(id);
      GptqResult r = gptq_quantize(lin.weight, H, quant.in_stream(model::quant_stream(id, 0)), opt_);
      lin.weight = std::move(r.weight);
      ctx.scales[id] = WeightScales{quant, lin.out(), lin.in(), quant.block_for(lin.in()), std::move(r.scale_bytes),
                                    r.tensor_scale};
      line << " " << model::kind_name(id.kind) << " loss " << r.loss;
      if (r.percdamp != opt_.percdamp) line << " (dampening raised to " << r.percdamp << ")";
    });
  }

 private:
  GptqOptions opt_;
  bool quantized_inputs_;
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_gptq(const StepParams& p) {
  p.expect({"act_order", "static_groups", "percdamp", "blocksize", "hessian_from"});
  GptqOptions o;
  o.act_order = p.flag("act_order", o.act_order);
  o.static_groups = p.flag("static_groups", o.static_groups);
  o.percdamp = p.number("percdamp", o.percdamp, 0.0, 1.0);
  o.blocksize = p.integer("blocksize", o.blocksize, 1, 1 << 20);
  return std::make_unique<Gptq>(o, p.choice("hessian_from", "float", {"float", "quantized"}) == "quantized");
}

}  // namespace mxlab::algorithms
