// AWQ (Lin et al. 2024) as llm-awq's auto_scale / auto_clip define it, with any weight format:
// per group of linears sharing an input, s = mean|x|^r / sqrt(max * min) for r in {0, 1/grid, ..}, chosen by the
// output error of the inspected module with weights Q(W s) / s; s folded into the predecessor. Then, for every
// linear but q/k, the per-(row, block) clipping max|w| * (1 - i/20), i = 0..9, chosen by the block's partial
// output error. Layers run in order on inputs propagated through the already scaled and clipped FP layers.
// Q is each linear's own weight format (per-layer formats); parameters: grid=20, clip=on.
#include <cmath>
#include <sstream>

#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

Matrix quantize_copy(const model::TensorQuant& q, Matrix w) {
  model::quantize_rows(q, w);
  return w;
}
double mse(const Matrix& a, const Matrix& b) { return (a - b).squaredNorm() / static_cast<double>(a.size()); }

struct Group {
  std::vector<LinearKind> layers;  // share one input (recorded at layers.front())
  enum { attention, mlp, linear } module;
};

// auto_scale_block's search for one group: the best scales and their loss (ratio 0 = scales of ones).
Vector search_scales(const PtqContext& ctx, int grid, int l, const Group& g, const Matrix& x) {
  const model::ModelWeights& w = *ctx.weights;
  auto module_out = [&](const WeightOverrides& sub) {
    switch (g.module) {
      case Group::attention: return attention_output(w, l, x, ctx.ctx, sub);
      case Group::mlp: return mlp_output(w, l, x, sub);
      default: return linear_output(w.linear({l, g.layers.front()}), x, sub.empty() ? nullptr : &sub.begin()->second);
    }
  };
  const Matrix org = module_out({});
  const Eigen::VectorXf x_mean = x.cwiseAbs().colwise().mean().transpose();
  double best = INFINITY;
  Vector best_s = Vector::Ones(x.cols());
  for (int r = 0; r < grid; ++r) {
    const double ratio = static_cast<double>(r) / grid;
    Vector s = x_mean.array().pow(static_cast<float>(ratio)).max(1e-4f).matrix();
    s /= std::sqrt(s.maxCoeff() * s.minCoeff());
    WeightOverrides sub;
    for (LinearKind k : g.layers) {
      Matrix ws = w.linear({l, k}).weight;
      ws.array().rowwise() *= s.transpose().array();
      ws = quantize_copy(ctx.weight_format({l, k}).in_stream(model::quant_stream({l, k}, 0)), ws);
      ws.array().rowwise() /= s.transpose().array();
      sub[k] = std::move(ws);
    }
    const double loss = mse(org, module_out(sub));
    if (loss < best) {
      best = loss;
      best_s = s;
    }
  }
  return best_s;
}

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
void clip_weight(const model::TensorQuant& quant, model::Linear& lin, const Matrix& x_all) {
  constexpr int kGrid = 20, kSteps = 10;  // max_shrink 0.5: thresholds 1.0 .. 0.55 of max|w|
  const Eigen::Index step = std::max<Eigen::Index>(1, x_all.rows() / 512), n = (x_all.rows() + step - 1) / step;
  Matrix x(n, x_all.cols());  // n_sample_token = 512, every step-th token
  for (Eigen::Index t = 0; t < n; ++t) x.row(t) = x_all.row(t * step);
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
      const Matrix diff = x.middleCols(c0, nc) * (q.middleCols(c0, nc) - w.middleCols(c0, nc)).transpose();  // n x out
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
  Awq(int grid, bool clip) : grid_(grid), clip_(clip) {}
  std::string_view name() const override { return "awq"; }
  void run(PtqContext& ctx) const override {
    model::ModelWeights& w = *ctx.weights;
    model::Runtime fp(ctx.weights);  // FP weights, no hooks: inputs propagate through the scaled/clipped layers
    LayerInputs inputs(fp, ctx.calib, ctx.ctx);
    for (int l = 0; l < w.config.n_layers; ++l) {
      std::vector<Group> groups{{{LinearKind::q, LinearKind::k, LinearKind::v}, Group::attention},
                                {{LinearKind::gate, LinearKind::up}, Group::mlp},
                                {{LinearKind::down}, Group::linear}};
      // v -> o only when v's outputs feed o's inputs one to one (no grouped-query attention), as llm-awq.
      if (w.layers[l].v.out() == w.layers[l].o.in()) groups.insert(groups.begin() + 1, {{LinearKind::o}, Group::linear});
      std::ostringstream line;
      line << "  awq: layer " << l << "/" << w.config.n_layers << " scales";
      for (const Group& g : groups) {
        fp.clear_weight_cache();
        const Matrix x = record_inputs(fp, inputs, {l, g.layers.front()});
        const Vector s = search_scales(ctx, grid_, l, g, x);
        fold_scales(w, l, g.layers, s);
        line << " " << model::kind_name(g.layers.front()) << "[" << s.minCoeff() << ".." << s.maxCoeff() << "]";
      }
      if (clip_) {
        for (LinearKind k : {LinearKind::v, LinearKind::o, LinearKind::gate, LinearKind::up, LinearKind::down}) {
          const model::TensorQuant quant = ctx.weight_format({l, k});
          if (!quant.enabled()) continue;  // left in FP by a per-layer override
          fp.clear_weight_cache();
          clip_weight(quant.in_stream(model::quant_stream({l, k}, 0)), w.linear({l, k}), record_inputs(fp, inputs, {l, k}));
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
  bool clip_;
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_awq(const StepParams& p) {
  p.expect({"grid", "clip"});
  return std::make_unique<Awq>(p.integer("grid", 20, 1, 1000), p.flag("clip", true));
}

}  // namespace mxlab::algorithms
