// SmoothQuant (Xiao et al. 2023, eq. 4): s_j = max|X_j|^alpha / max|W_j|^(1 - alpha), X_j / s_j folded into the
// preceding RMSNorm and W_j * s_j into q/k/v (attention norm) and gate/up (FFN norm), as the reference
// smooth_lm does for Llama (o_proj and down_proj are not smoothed). Parameters: alpha=0.5 (migration strength in
// [0, 1]) or alpha=search (picks alpha in {0, 0.1, .., 1} by the calibration KL of the quantized model).
#include <cmath>
#include <sstream>

#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"
#include "model/eval.hpp"

namespace mxlab::algorithms {
namespace {

// Per-input-channel max |x| of every layer's q and gate inputs, from the FP model on the calibration data.
std::map<LinearId, Eigen::VectorXf> activation_maxima(const PtqContext& ctx) {
  model::Runtime fp(ctx.weights);
  model::CaptureOptions opt;
  opt.select = [](LinearId id) { return id.kind == LinearKind::q || id.kind == LinearKind::gate; };
  model::CalibrationCapture capture(opt);
  LayerInputs inputs(fp, ctx.calib, ctx.ctx);  // layer by layer, windows in parallel (a max: order-free)
  for (int l = 0; l < ctx.weights->config.n_layers; ++l) {
    inputs.observe(fp, capture, opt.select);
    inputs.advance(fp);
  }
  std::map<LinearId, Eigen::VectorXf> out;
  for (const auto& [id, st] : capture.all()) out[id] = st.abs_max;
  return out;
}

// smooth_ln_fcs: weight_scales = max over the layers' rows of |W_j| (clamped to 1e-5), scales clamped to 1e-5.
Vector smoothing_scales(const model::ModelWeights& w, int layer, const std::vector<LinearKind>& kinds,
                        const Eigen::VectorXf& act_max, double alpha) {
  Eigen::VectorXf wmax = Eigen::VectorXf::Zero(act_max.size());
  for (LinearKind k : kinds) wmax = wmax.cwiseMax(w.linear({layer, k}).weight.cwiseAbs().colwise().maxCoeff().transpose());
  Vector s(act_max.size());
  for (Eigen::Index j = 0; j < s.size(); ++j)
    s(j) = static_cast<float>(std::max(std::pow(double(act_max(j)), alpha) / std::pow(std::max(double(wmax(j)), 1e-5), 1 - alpha), 1e-5));
  return s;
}

void smooth(model::ModelWeights& w, const std::map<LinearId, Eigen::VectorXf>& act_max, double alpha) {
  for (int l = 0; l < w.config.n_layers; ++l) {
    const std::vector<LinearKind> attn{LinearKind::q, LinearKind::k, LinearKind::v}, ffn{LinearKind::gate, LinearKind::up};
    fold_scales(w, l, attn, smoothing_scales(w, l, attn, act_max.at({l, LinearKind::q}), alpha));
    fold_scales(w, l, ffn, smoothing_scales(w, l, ffn, act_max.at({l, LinearKind::gate}), alpha));
  }
}

// Mean KL divergence to the FP32 model on the calibration data, after smoothing, RTN weights and the
// activation format: the deployed model's distance to the original.
double calibration_kl(const PtqContext& ctx, const model::ModelWeights& smoothed) {
  auto w = std::make_shared<model::ModelWeights>(smoothed);
  PtqContext trial = ctx;
  trial.weights = w;
  trial.log = {};
  make_rtn({})->run(trial);
  model::Runtime rt(w, trial.calibration_scheme()), ref(ctx.weights);
  model::EvalOptions opt;
  opt.ctx = ctx.ctx;
  return model::evaluate(rt, ctx.calib, opt, &ref).kld_mean;
}

class SmoothQuant final : public PtqAlgorithm {
 public:
  SmoothQuant(double alpha, bool search) : alpha_(alpha), search_(search) {}
  std::string_view name() const override { return "smoothquant"; }
  void run(PtqContext& ctx) const override {
    bool acts = false;
    for (const auto& id : ctx.weights->linear_ids()) acts = acts || ctx.scheme.for_linear(id).input.enabled();
    if (!acts)
      ctx.say("  smoothquant: warning: no activation format, so smoothing can only move quantization error into the "
              "weights (use --acts, or drop smoothquant from the pipeline)");
    const auto act_max = activation_maxima(ctx);
    double alpha = alpha_;
    if (search_) {
      double best = INFINITY;
      for (int i = 0; i <= 10; ++i) {
        model::ModelWeights trial = *ctx.weights;
        smooth(trial, act_max, i / 10.0);
        const double kl = calibration_kl(ctx, trial);
        std::ostringstream line;
        line << "  smoothquant: alpha " << i / 10.0 << " calibration KL " << kl;
        ctx.say(line.str());
        if (kl < best) {
          best = kl;
          alpha = i / 10.0;
        }
      }
    }
    smooth(*ctx.weights, act_max, alpha);
    ctx.say("  smoothquant: alpha " + std::to_string(alpha) + " folded into " + std::to_string(ctx.weights->config.n_layers) +
            " layers (q/k/v, gate/up)");
  }

 private:
  double alpha_;
  bool search_;
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_smoothquant(const StepParams& p) {
  p.expect({"alpha"});
  const std::string* alpha = p.value("alpha");
  if (alpha && *alpha == "search") return std::make_unique<SmoothQuant>(0.5, true);
  try {
    return std::make_unique<SmoothQuant>(p.number("alpha", 0.5, 0.0, 1.0), false);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(e.what()) + ", nor search");
  }
}

}  // namespace mxlab::algorithms
