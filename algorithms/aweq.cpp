// AWEQ (Li et al. 2023, arXiv 2311.01305): per-channel equalization s_c = sqrt(r_x(c) / r_w(c)) of the
// activation and weight ranges, folded into the preceding RMSNorm and q/k/v (attention norm) and gate/up (FFN
// norm) where SmoothQuant folds its factors (fold_scales); then the weights are rounded to nearest in their format
// (rtn) and, layer by layer on inputs propagated through the quantized model (activation hooks on), every
// quantized linear gets the bias correction E[W x] - E[W_q Q_a(x)] as its output bias. Parameters:
// equalize=on, bias_correction=on.
#include "algorithms/aweq.hpp"

#include <cmath>
#include <iterator>

#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {

Vector equalization_scales(const Matrix& x, const std::vector<const Matrix*>& weights) {
  const Eigen::VectorXf rx = (x.colwise().maxCoeff() - x.colwise().minCoeff()).transpose();
  Eigen::VectorXf wmax = Eigen::VectorXf::Constant(x.cols(), -INFINITY), wmin = Eigen::VectorXf::Constant(x.cols(), INFINITY);
  for (const Matrix* w : weights) {
    wmax = wmax.cwiseMax(w->colwise().maxCoeff().transpose());
    wmin = wmin.cwiseMin(w->colwise().minCoeff().transpose());
  }
  Vector s = Vector::Ones(x.cols());
  for (Eigen::Index c = 0; c < s.size(); ++c) {
    const double rw = double(wmax(c)) - double(wmin(c));
    if (rx(c) > 0 && rw > 0) s(c) = static_cast<float>(std::sqrt(double(rx(c)) / rw));
  }
  return s;
}

Vector bias_correction(const Matrix& x, const Matrix& xq, const Matrix& w, const Matrix& wq) {
  const Eigen::VectorXd mx = x.cast<double>().colwise().mean().transpose(), mq = xq.cast<double>().colwise().mean().transpose();
  return (w.cast<double>() * mx - wq.cast<double>() * mq).cast<float>();
}

namespace {

class Aweq final : public PtqAlgorithm {
 public:
  Aweq(bool equalize, bool correct) : equalize_(equalize), correct_(correct) {}
  std::string_view name() const override { return "aweq"; }

  void run(PtqContext& ctx) const override {
    if (equalize_) equalize(ctx);
    const model::ModelWeights fp = *ctx.weights;  // equalized, not yet quantized
    make_rtn({})->run(ctx);
    if (correct_) correct(ctx, fp);
  }

 private:
  static void equalize(PtqContext& ctx) {
    model::ModelWeights& w = *ctx.weights;
    model::Runtime rt(ctx.weights);  // FP: the equalization leaves the function unchanged
    LayerInputs inputs(rt, ctx.calib, ctx.ctx);
    Vector lo = Vector::Constant(1, INFINITY), hi = Vector::Constant(1, 0);
    for (int l = 0; l < w.config.n_layers; ++l) {
      for (const std::vector<LinearKind>& g : {std::vector<LinearKind>{LinearKind::q, LinearKind::k, LinearKind::v},
                                               std::vector<LinearKind>{LinearKind::gate, LinearKind::up}}) {
        rt.clear_weight_cache();
        const Matrix x = record_inputs(rt, inputs, {l, g.front()});
        std::vector<const Matrix*> ws;
        for (LinearKind k : g) ws.push_back(&w.linear({l, k}).weight);
        const Vector s = equalization_scales(x, ws);
        fold_scales(w, l, g, s);
        lo(0) = std::min(lo(0), s.minCoeff());
        hi(0) = std::max(hi(0), s.maxCoeff());
      }
      rt.clear_weight_cache();
      inputs.advance(rt);
    }
    ctx.say("  aweq: equalized q/k/v and gate/up of " + std::to_string(w.config.n_layers) + " layers, s in [" +
            std::to_string(lo(0)) + ", " + std::to_string(hi(0)) + "]");
  }

  static void correct(PtqContext& ctx, const model::ModelWeights& fp) {
    model::ModelWeights& w = *ctx.weights;
    model::Runtime rt(ctx.weights, ctx.calibration_scheme());  // quantized weights in place, activation hooks on
    LayerInputs inputs(rt, ctx.calib, ctx.ctx);
    double worst = 0;
    for (int l = 0; l <= w.config.n_layers; ++l) {
      const std::vector<LinearKind> kinds = l < w.config.n_layers ? std::vector<LinearKind>(std::begin(model::kBlockLinears), std::end(model::kBlockLinears))
                                                                  : std::vector<LinearKind>{LinearKind::classifier};
      for (LinearKind k : kinds) {
        const LinearId id{l < w.config.n_layers ? l : -1, k};
        if (!ctx.weight_format(id).enabled()) continue;
        rt.clear_weight_cache();
        const Matrix x = record_inputs(rt, inputs, id);
        Matrix xq = x;
        const model::TensorQuant act = ctx.scheme.for_linear(id).input;
        if (act.enabled()) model::quantize_rows(act, xq, model::quant_stream(id, 1, 0));
        model::Linear& lin = w.linear(id);
        const Vector d = bias_correction(x, xq, fp.linear(id).weight, lin.weight);
        if (lin.bias.size() == 0) lin.bias = Vector::Zero(lin.out());
        lin.bias += d;
        worst = std::max(worst, double(d.cwiseAbs().maxCoeff()));
      }
      if (l < w.config.n_layers) {
        rt.clear_weight_cache();
        inputs.advance(rt);
      }
    }
    ctx.say("  aweq: bias-corrected " + std::to_string(ctx.quantized_linears().size()) + " linears, largest |correction| " +
            std::to_string(worst));
  }

  bool equalize_, correct_;
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_aweq(const StepParams& p) {
  p.expect({"equalize", "bias_correction"});
  return std::make_unique<Aweq>(p.flag("equalize", true), p.flag("bias_correction", true));
}

}  // namespace mxlab::algorithms
