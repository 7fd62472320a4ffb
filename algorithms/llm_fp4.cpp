// LLM-FP4's weight search (Liu et al. 2023, sec. 4.1; nbasyl/LLM-FP4 FPPTQSLBatchingQuantLinear_fpq): per output
// channel, the real-valued exponent bias among b0 * linspace(0.01, 1.2, 101) (b0: maxval = max|w_row|) with the
// least output error on calibration data, for every E/M split of the bit width (split=auto) or the given one; the
// split with the least total error wins the layer. The bias is stored as the fp_group format's FP32 row scale
// (llmfp4_scale), so the result is an ordinary per-channel FP weight that exact GEMM and export take as is.
// Layers run in order on inputs propagated through the already quantized layers, with the activation hooks on;
// within a block {q,k,v}, {o}, {gate,up}, {down} in turn. With acts=tensor (the paper's setting) each group's input
// gets a static per-tensor activation bias, with per-channel pre-shifts folded into the RMSNorm before q/k/v and
// gate/up (llm_fp4_preshift.hpp calibrate_group: `rounds` alternating weight and activation searches), deployed
// as the input hook's static scale (TensorQuant::static_scale); acts=hook keeps the runtime's activation hook as
// given (one weight search). Parameters: split=auto|e2m1|e1m2|e3m0|.., acts=hook|tensor, rounds=3, lo=0.01,
// hi=1.2, n=101, tokens=4096 (calibration rows per layer, evenly strided).
#include "algorithms/llm_fp4.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "algorithms/layer_io.hpp"
#include "algorithms/llm_fp4_preshift.hpp"
#include "algorithms/steps.hpp"
#include "formats/llmfp4.hpp"

namespace mxlab::algorithms {

std::vector<FpSplit> fp_splits(int bits) {
  std::vector<FpSplit> out;
  for (const FormatTraits& t : format_table())
    if (t.family == Family::fp_group && t.element().bits == bits)
      out.push_back({t.elem, t.id, t.element().ebits, t.element().mbits});
  if (out.empty()) throw std::invalid_argument("llmfp4: no FP element of " + std::to_string(bits) + " bits");
  return out;
}

FpSplit fp_split_of(Format f) {
  const FormatTraits& t = traits(f);
  if (t.family != Family::fp_group)
    throw std::invalid_argument(std::string("llmfp4 quantizes FP elements with an FP32 scale per channel (fp4_e2m1, "
                                            "fp4_e1m2, fp4_e3m0, fp6_*, fp8_e4m3), not ") + t.name);
  return {t.elem, t.id, t.element().ebits, t.element().mbits};
}

double initial_bias(int ebits, int mbits, double amax) {
  return std::ldexp(1.0, ebits) - std::log2(amax) + std::log2(2.0 - std::ldexp(1.0, -mbits)) - 1.0;
}

RowErrorModel::RowErrorModel(const Matrix& x, const Matrix& xq, const Matrix& w) {
  const Eigen::MatrixXd xd = x.cast<double>(), xqd = xq.cast<double>(), wd = w.cast<double>();
  A = xqd.transpose() * xqd;
  const Eigen::MatrixXd y = xd * wd.transpose();  // n x rows: the FP outputs
  b = (xqd.transpose() * y).transpose();         // rows x cols
  c = y.cwiseAbs2().colwise().sum().transpose();
}

Eigen::VectorXd RowErrorModel::errors(const Matrix& q) const {
  const Eigen::MatrixXd qd = q.cast<double>();
  return ((qd * A).cwiseProduct(qd) - 2.0 * qd.cwiseProduct(b)).rowwise().sum() + c;
}

Matrix quantize_with_row_scales(const Matrix& w, Elem e, const std::vector<float>& scales) {
  Matrix q(w.rows(), w.cols());
  for (Eigen::Index r = 0; r < w.rows(); ++r)
    for (Eigen::Index j = 0; j < w.cols(); ++j)
      q(r, j) = scales[static_cast<std::size_t>(r)] > 0 ? quantize_with_scale(e, w(r, j), scales[static_cast<std::size_t>(r)])
                                                        : std::copysign(0.0f, w(r, j));
  return q;
}

RowBiasSearch search_row_biases(const Matrix& w, const FpSplit& split, const RowErrorModel& m, const BiasGrid& grid) {
  const auto rows = static_cast<std::size_t>(w.rows());
  RowBiasSearch best{split, std::vector<float>(rows, 0.0f), std::vector<double>(rows, 0.0), Eigen::VectorXd::Constant(w.rows(), INFINITY)};
  std::vector<double> b0(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    const double amax = w.row(static_cast<Eigen::Index>(r)).cwiseAbs().maxCoeff();
    b0[r] = amax > 0 ? initial_bias(split.ebits, split.mbits, amax) : 0.0;
  }
  std::vector<Eigen::VectorXd> err(static_cast<std::size_t>(grid.n));
  std::vector<std::vector<float>> scales(static_cast<std::size_t>(grid.n), std::vector<float>(rows, 0.0f));
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < grid.n; ++k) {
    auto& s = scales[static_cast<std::size_t>(k)];
    for (std::size_t r = 0; r < rows; ++r)
      if (w.row(static_cast<Eigen::Index>(r)).cwiseAbs().maxCoeff() > 0) s[r] = llmfp4_scale(split.elem, b0[r] * grid.at(k));
    err[static_cast<std::size_t>(k)] = m.errors(quantize_with_row_scales(w, split.elem, s));
  }
  for (int k = 0; k < grid.n; ++k)  // the first least error wins (ties: the smaller candidate)
    for (std::size_t r = 0; r < rows; ++r)
      if (err[static_cast<std::size_t>(k)](static_cast<Eigen::Index>(r)) < best.error(static_cast<Eigen::Index>(r))) {
        best.error(static_cast<Eigen::Index>(r)) = err[static_cast<std::size_t>(k)](static_cast<Eigen::Index>(r));
        best.scales[r] = scales[static_cast<std::size_t>(k)][r];
        best.bias[r] = b0[r] * grid.at(k);
      }
  return best;
}

namespace {

// Every `step`-th row of x, at most `tokens` rows.
Matrix strided_rows(const Matrix& x, int tokens) {
  const Eigen::Index step = std::max<Eigen::Index>(1, (x.rows() + tokens - 1) / tokens), n = (x.rows() + step - 1) / step;
  Matrix out(n, x.cols());
  for (Eigen::Index t = 0; t < n; ++t) out.row(t) = x.row(t * step);
  return out;
}

class LlmFp4 final : public PtqAlgorithm {
 public:
  LlmFp4(std::string split, bool tensor, int rounds, BiasGrid grid, int tokens)
      : split_(std::move(split)), tensor_(tensor), rounds_(rounds), grid_(grid), tokens_(tokens) {}
  std::string_view name() const override { return "llmfp4"; }

  void run(PtqContext& ctx) const override {
    model::ModelWeights& w = *ctx.weights;
    model::Runtime rt(ctx.weights, ctx.calibration_scheme());  // the deployed activation hooks, float GEMMs
    LayerInputs inputs(rt, ctx.calib, ctx.ctx);
    std::map<std::string, int> chosen;
    const std::vector<std::vector<LinearKind>> groups{
        {LinearKind::q, LinearKind::k, LinearKind::v}, {LinearKind::o}, {LinearKind::gate, LinearKind::up}, {LinearKind::down}};
    for (int l = 0; l <= w.config.n_layers; ++l) {
      const auto todo = l < w.config.n_layers ? groups : std::vector<std::vector<LinearKind>>{{LinearKind::classifier}};
      for (const auto& g : todo) {
        const LinearId first{l < w.config.n_layers ? l : -1, g.front()};
        if (!ctx.weight_format(first).enabled()) continue;
        rt.set_scheme(ctx.calibration_scheme());  // the weights, folds and static scales so far
        const Matrix x = strided_rows(record_inputs(rt, inputs, first), tokens_);
        std::vector<LinearId> ids;
        for (LinearKind k : g)
          if (ctx.weight_format({first.layer, k}).enabled()) ids.push_back({first.layer, k});
        for (const std::string& f : tensor_ ? quantize_group(ctx, ids, x) : quantize_each(ctx, ids, x)) chosen[f]++;
      }
      if (l < w.config.n_layers) {
        rt.set_scheme(ctx.calibration_scheme());  // the splits chosen so far (per-layer overrides)
        inputs.advance(rt);
      }
    }
    std::string line = "  llmfp4: " + std::to_string(ctx.quantized_linears().size()) + " linears, per-channel bias ->";
    for (const auto& [f, n] : chosen) line += " " + f + " x" + std::to_string(n);
    ctx.say(line);
  }

 private:
  // The splits searched for id's weight format (split=auto: every split of its width).
  std::vector<FpSplit> splits_for(const model::LinearQuant& lq) const {
    if (!lq.weight.per_row) throw std::invalid_argument("llmfp4 quantizes weights per output channel: use --block row");
    const FpSplit given = fp_split_of(*lq.weight.format);
    if (split_ == "auto") return fp_splits(elem_spec(given.elem).bits);
    if (split_ == "given") return {given};
    return {fp_split_of(find_format("fp" + std::to_string(elem_spec(given.elem).bits) + "_" + split_).id)};
  }

  // acts=hook: per linear, the splits and row biases on inputs x under the runtime's activation hook.
  std::vector<std::string> quantize_each(PtqContext& ctx, const std::vector<LinearId>& ids, const Matrix& x) const {
    std::vector<std::string> out;
    for (LinearId id : ids) {
      const model::LinearQuant lq = ctx.scheme.for_linear(id);
      Matrix xq = x;
      if (lq.input.enabled()) model::quantize_rows(lq.input, xq, model::quant_stream(id, 1, 0));
      const Matrix& w = ctx.weights->linear(id).weight;
      const RowErrorModel m(x, xq, w);
      RowBiasSearch best;
      for (const FpSplit& s : splits_for(lq)) {
        RowBiasSearch r = search_row_biases(w, s, m, grid_);
        if (best.scales.empty() || r.total() < best.total()) best = std::move(r);
      }
      out.push_back(apply(ctx, id, lq, best, lq.input));
    }
    return out;
  }

  // acts=tensor: the group's static per-tensor activation bias and shifts (folded into the RMSNorm before q/k/v and
  // gate/up; none before o, down and the classifier) and each linear's row biases of its folded weight.
  std::vector<std::string> quantize_group(PtqContext& ctx, const std::vector<LinearId>& ids, const Matrix& x) const {
    if (ids.empty()) return {};
    const model::LinearQuant lq = ctx.scheme.for_linear(ids.front());
    if (!lq.input.enabled()) throw std::invalid_argument("llmfp4:acts=tensor quantizes activations: give --acts (an FP format)");
    const FpSplit as = fp_split_of(*lq.input.format);
    std::vector<Matrix> w;
    for (LinearId id : ids) w.push_back(ctx.weights->linear(id).weight);
    const LinearKind k = ids.front().kind;
    const bool shift = k == LinearKind::q || k == LinearKind::gate;  // an RMSNorm precedes the group
    const GroupFp4Calibration c = calibrate_group(x, w, splits_for(lq), as, shift, rounds_, grid_);
    if (shift) {
      std::vector<LinearKind> kinds;
      for (LinearId id : ids) kinds.push_back(id.kind);
      fold_preshift(*ctx.weights, ids.front().layer, kinds, c.acts);
    }
    model::TensorQuant input = lq.input;
    input.static_scale = llmfp4_scale(as.elem, c.acts.t);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < ids.size(); ++i) out.push_back(apply(ctx, ids[i], ctx.scheme.for_linear(ids[i]), c.weights[i], input));
    return out;
  }

  // Writes id's weight quantized against the chosen row scales, its scales, and its format and input hook.
  std::string apply(PtqContext& ctx, LinearId id, const model::LinearQuant& lq, const RowBiasSearch& best,
                    const model::TensorQuant& input) const {
    model::Linear& lin = ctx.weights->linear(id);
    if (id.kind == LinearKind::classifier) ctx.weights->config.shared_classifier = false;  // untie
    lin.weight = quantize_with_row_scales(lin.weight, best.split.elem, best.scales);
    model::LinearQuant applied = lq;
    applied.weight.format = best.split.format;
    applied.input = input;
    if (best.split.format != *lq.weight.format || input.static_scale > 0) ctx.scheme.overrides[model::linear_name(id)] = applied;
    WeightScales ws{applied.weight, lin.weight.rows(), lin.weight.cols(), lin.in(), {}, 1.0f};
    ws.bytes.resize(best.scales.size() * 4);
    std::memcpy(ws.bytes.data(), best.scales.data(), ws.bytes.size());  // little-endian FP32, as the codec packs it
    ctx.scales[id] = std::move(ws);
    return traits(best.split.format).name;
  }

  std::string split_;
  bool tensor_;
  int rounds_;
  BiasGrid grid_;
  int tokens_;
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_llm_fp4(const StepParams& p) {
  p.expect({"split", "acts", "rounds", "lo", "hi", "n", "tokens"});
  BiasGrid g{p.number("lo", 0.01, 0.0, 10.0), p.number("hi", 1.2, 0.0, 10.0), p.integer("n", 101, 1, 10000)};
  if (g.lo > g.hi) throw std::invalid_argument("llmfp4: lo=" + std::to_string(g.lo) + " exceeds hi=" + std::to_string(g.hi));
  return std::make_unique<LlmFp4>(p.choice("split", "auto", {"auto", "given", "e3m0", "e2m1", "e1m2", "e3m2", "e2m3", "e4m3"}),
                                  p.choice("acts", "hook", {"hook", "tensor"}) == "tensor", p.integer("rounds", 3, 1, 100), g, p.integer("tokens", 4096, 1, 1 << 24));
}

}  // namespace mxlab::algorithms
