// AWQ (Lin et al. 2024) as llm-awq's auto_scale / auto_clip define it, with any weight format:
// per group of linears sharing an input, s = mean|x|^r / sqrt(max * min) for r in {0, 1/grid, ..}, chosen by the
// output error of the inspected module with weights Q(W s) / s; s folded into the predecessor. Then, for every
// linear but q/k, the per-(row, block) clipping max|w| * (1 - i/20), i = 0..9, chosen by the block's partial
// output error. Layers run in order on inputs propagated through the already scaled and clipped FP layers.
// Q is each linear's own weight format (per-layer formats). With act_quant=on (the default) both searches
// compare the outputs the deployed layers compute, inputs quantized in their activation format (llm-awq has no
// activation quantizer; with no activation format the two are the same). Parameters: grid=20, clip=on,
// act_quant=on.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "algorithms/awq.hpp"
#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

Matrix quantize_copy(const model::TensorQuant& q, Matrix w) {
  model::quantize_rows(q, w);
  return w;
}
double mse(const Matrix& a, const Matrix& b) { return (a - b).squaredNorm() / static_cast<double>(a.size()); }

Matrix quantized_input(const model::TensorQuant& act, LinearId id, Matrix x) {
  model::quantize_rows(act, x, model::quant_stream(id, 1, 0));
  return x;
}

struct Group {
  std::vector<LinearKind> layers;  // share one input (recorded at layers.front())
  AwqModule module;
};

}  // namespace

AwqScaleSearch awq_search_scales(const PtqContext& ctx, int grid, int l, const std::vector<LinearKind>& kinds,
                                 AwqModule module, const Matrix& x, bool act_quant) {
  const model::ModelWeights& w = *ctx.weights;
  auto module_out = [&](const WeightOverrides& sub, const InputMaps& in) {
    switch (module) {
      case AwqModule::attention: return attention_output(w, l, x, ctx.ctx, sub, in);
      case AwqModule::mlp: return mlp_output(w, l, x, sub, in);
      default: {
        const LinearKind k = kinds.front();
        const auto m = in.find(k);
        const auto it = sub.find(k);
        return linear_output(w.linear({l, k}), m == in.end() ? x : m->second(x), it == sub.end() ? nullptr : &it->second);
      }
    }
  };
  const Matrix org = module_out({}, {});
  const Eigen::VectorXf x_mean = x.cwiseAbs().colwise().mean().transpose();
  AwqScaleSearch res;
  double best = INFINITY;
  res.scales = Vector::Ones(x.cols());
  for (int r = 0; r < grid; ++r) {
    const double ratio = static_cast<double>(r) / grid;
    Vector s = x_mean.array().pow(static_cast<float>(ratio)).max(1e-4f).matrix();
    s /= std::sqrt(s.maxCoeff() * s.minCoeff());
    WeightOverrides sub;
    InputMaps in;
    for (LinearKind k : kinds) {
      Matrix ws = w.linear({l, k}).weight;
      ws.array().rowwise() *= s.transpose().array();
      ws = quantize_copy(ctx.weight_format({l, k}).in_stream(model::quant_stream({l, k}, 0)), ws);
      if (!act_quant) ws.array().rowwise() /= s.transpose().array();
      sub[k] = std::move(ws);
    }
    if (act_quant)
      for (LinearKind k : model::kBlockLinears) {
        const LinearId id{l, k};
        const model::TensorQuant act = ctx.scheme.for_linear(id).input;
        const bool grouped = std::find(kinds.begin(), kinds.end(), k) != kinds.end();
        in[k] = [act, id, grouped, s](const Matrix& xin) {
          Matrix xs = xin;
          if (grouped) xs.array().rowwise() /= s.transpose().array();
          return act.enabled() ? quantized_input(act, id, std::move(xs)) : xs;
        };
      }
    const double loss = mse(org, module_out(sub, in));
    res.losses.push_back(loss);
    if (loss < best) {
      best = loss;
      res.scales = s;
      res.ratio = r;
    }
  }
  return res;
}

namespace {

// Clamps every (row, block) of w to [-limit(row, block), limit(row, block)].
void clamp_blocks(Matrix& w, const Matrix& limit, Eigen::Index block) {
  for (Eigen::Index gi = 0; gi < limit.cols(); ++gi) {
    const Eigen::Index c0 = gi * block, nc = std::min(block, w.cols() - c0);
    for (Eigen::Index r = 0; r < w.rows(); ++r)
      w.row(r).segment(c0, nc) = w.row(r).segment(c0, nc).cwiseMax(-limit(r, gi)).cwiseMin(limit(r, gi));
  }
}

// auto_clip_layer: per output row and input block, the clipping threshold with the least partial output error
// when the weight is quantized in `quant`.
// With `act` (enabled) the quantized block multiplies the input quantized in that format.
void clip_weight(const model::TensorQuant& quant, model::Linear& lin, const Matrix& x_all, const model::TensorQuant* act,
                 LinearId id) {
  constexpr int kGrid = 20, kSteps = 10;  // max_shrink 0.5: thresholds 1.0 .. 0.55 of max|w|
  const Eigen::Index step = std::max<Eigen::Index>(1, x_all.rows() / 512), n = (x_all.rows() + step - 1) / step;
  Matrix x(n, x_all.cols());  // n_sample_token = 512, every step-th token
  for (Eigen::Index t = 0; t < n; ++t) x.row(t) = x_all.row(t * step);
  const bool quantized = act && act->enabled();
  const Matrix xq = quantized ? quantized_input(*act, id, x) : Matrix();  // what the deployed layer multiplies
  Matrix& w = lin.weight;
  const Eigen::Index block = std::min<Eigen::Index>(quant.block_for(static_cast<int>(w.cols())), w.cols());
  const Eigen::Index groups = (w.cols() + block - 1) / block;
  Matrix org_max(w.rows(), groups);
  for (Eigen::Index gi = 0; gi < groups; ++gi)
    org_max.col(gi) = w.middleCols(gi * block, std::min(block, w.cols() - gi * block)).cwiseAbs().rowwise().maxCoeff();
  Matrix best_err = Matrix::Constant(w.rows(), groups, INFINITY), best_max = org_max;  // reference: start unclipped
  for (int i = 0; i < kSteps; ++i) {
    const Matrix max_val = org_max * (1.0f - static_cast<float>(i) / kGrid);
    Matrix cur = w;
    clamp_blocks(cur, max_val, block);
    const Matrix q = quantize_copy(quant, cur);
    for (Eigen::Index gi = 0; gi < groups; ++gi) {
      const Eigen::Index c0 = gi * block, nc = std::min(block, w.cols() - c0);
      const Matrix diff =  // n x out
          quantized ? Matrix(xq.middleCols(c0, nc) * q.middleCols(c0, nc).transpose() -
                             x.middleCols(c0, nc) * w.middleCols(c0, nc).transpose())
                    : Matrix(x.middleCols(c0, nc) * (q.middleCols(c0, nc) - w.middleCols(c0, nc)).transpose());
      const Eigen::VectorXf err = diff.cwiseAbs2().colwise().mean().transpose();
      for (Eigen::Index r = 0; r < w.rows(); ++r)
        if (err(r) < best_err(r, gi)) {
          best_err(r, gi) = err(r);
          best_max(r, gi) = max_val(r, gi);
        }
    }
  }
  clamp_blocks(w, best_max, block);
}

class Awq final : public PtqAlgorithm {
 public:
  Awq(int grid, bool clip, bool act_quant) : grid_(grid), clip_(clip), act_quant_(act_quant) {}
  std::string_view name() const override { return "awq"; }
  void run(PtqContext& ctx) const override {
    model::ModelWeights& w = *ctx.weights;
    model::Runtime fp(ctx.weights);  // FP weights, no hooks: inputs propagate through the scaled/clipped layers
    LayerInputs inputs(fp, ctx.calib, ctx.ctx);
    for (int l = 0; l < w.config.n_layers; ++l) {
      std::vector<Group> groups{{{LinearKind::q, LinearKind::k, LinearKind::v}, AwqModule::attention},
                                {{LinearKind::gate, LinearKind::up}, AwqModule::mlp},
                                {{LinearKind::down}, AwqModule::linear}};
      // v -> o only when v's outputs feed o's inputs one to one (no grouped-query attention), as llm-awq.
      if (w.layers[l].v.out() == w.layers[l].o.in()) groups.insert(groups.begin() + 1, {{LinearKind::o}, AwqModule::linear});
      std::ostringstream line;
      line << "  awq: layer " << l << "/" << w.config.n_layers << " scales";
      for (const Group& g : groups) {
        fp.clear_weight_cache();
        const Matrix x = record_inputs(fp, inputs, {l, g.layers.front()});
        const Vector s = awq_search_scales(ctx, grid_, l, g.layers, g.module, x, act_quant_).scales;
        fold_scales(w, l, g.layers, s);
        line << " " << model::kind_name(g.layers.front()) << "[" << s.minCoeff() << ".." << s.maxCoeff() << "]";
      }
      if (clip_) {
        for (LinearKind k : {LinearKind::v, LinearKind::o, LinearKind::gate, LinearKind::up, LinearKind::down}) {
          const model::TensorQuant quant = ctx.weight_format({l, k});
          if (!quant.enabled()) continue;  // left in FP by a per-layer override
          fp.clear_weight_cache();
          const model::TensorQuant act = ctx.scheme.for_linear({l, k}).input;
          clip_weight(quant.in_stream(model::quant_stream({l, k}, 0)), w.linear({l, k}), record_inputs(fp, inputs, {l, k}),
                      act_quant_ ? &act : nullptr, {l, k});
        }
        line << ", clipped v/o/gate/up/down";
      }
      ctx.say(line.str());
      fp.clear_weight_cache();
      inputs.advance(fp);
    }
  }

 private:
  int grid_;
  bool clip_, act_quant_;
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_awq(const StepParams& p) {
  p.expect({"grid", "clip", "act_quant"});
  return std::make_unique<Awq>(p.integer("grid", 20, 1, 1000), p.flag("clip", true), p.flag("act_quant", true));
}

}  // namespace mxlab::algorithms
