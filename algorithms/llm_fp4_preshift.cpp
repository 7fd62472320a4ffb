// LLM-FP4's per-tensor activation bias with per-channel integer pre-shifts, its search and its folding.
#include "algorithms/llm_fp4_preshift.hpp"

#include <algorithm>
#include <cmath>

#include "algorithms/layer_io.hpp"
#include "formats/llmfp4.hpp"

namespace mxlab::algorithms {

double initial_tensor_bias(const Eigen::VectorXf& channel_amax, const FpSplit& s) {
  const float amax = channel_amax.maxCoeff();
  return amax > 0 ? initial_bias(s.ebits, s.mbits, amax) : 0.0;
}

ActPreshift act_preshift(const Eigen::VectorXf& channel_amax, const FpSplit& s, double t) {
  ActPreshift p{t, std::vector<int>(static_cast<std::size_t>(channel_amax.size()), 0)};
  const double rt = std::nearbyint(t), top = rt + std::ldexp(1.0, s.ebits) - 1;
  for (Eigen::Index c = 0; c < channel_amax.size(); ++c) {
    const double b = channel_amax(c) > 0 ? initial_bias(s.ebits, s.mbits, channel_amax(c)) : t;
    p.rho[static_cast<std::size_t>(c)] = static_cast<int>(std::clamp(std::nearbyint(b), rt, top) - rt);
  }
  return p;
}

Matrix quantize_act_per_channel(const Matrix& x, const FpSplit& s, const ActPreshift& p) {
  Matrix q(x.rows(), x.cols());
  const float st = llmfp4_scale(s.elem, p.t);
  for (Eigen::Index c = 0; c < x.cols(); ++c) {
    const float sc = std::ldexp(st, -p.rho[static_cast<std::size_t>(c)]);  // bias t + rho_c: the tensor scale * 2^-rho
    for (Eigen::Index r = 0; r < x.rows(); ++r) q(r, c) = quantize_with_scale(s.elem, x(r, c), sc);
  }
  return q;
}

Matrix quantize_act_per_tensor(const Matrix& x, const FpSplit& s, double t) {
  const float sc = llmfp4_scale(s.elem, t);
  return x.unaryExpr([&](float v) { return quantize_with_scale(s.elem, v, sc); });
}

void fold_preshift(model::ModelWeights& w, int layer, const std::vector<LinearKind>& kinds, const ActPreshift& p) {
  Vector s(static_cast<Eigen::Index>(p.rho.size()));
  for (std::size_t c = 0; c < p.rho.size(); ++c) s(static_cast<Eigen::Index>(c)) = std::ldexp(1.0f, -p.rho[c]);
  fold_scales(w, layer, kinds, s);  // columns times 2^-rho, predecessor divided by 2^-rho: both exact
}

Matrix shift_columns(const Matrix& x, const std::vector<int>& rho, int sign) {
  Matrix out = x;
  for (Eigen::Index c = 0; c < x.cols(); ++c)
    if (const int r = rho[static_cast<std::size_t>(c)]) out.col(c) *= std::ldexp(1.0f, sign * r);
  return out;
}

namespace {

// Per linear, the best split's row biases of its folded weight for the folded input quantized with p (round 0:
// no activation quantizer yet, no shifts).
std::vector<RowBiasSearch> search_weights(const Matrix& x, const std::vector<Matrix>& w, const std::vector<FpSplit>& splits,
                                          const FpSplit& as, const ActPreshift* p, const BiasGrid& grid) {
  const Matrix xf = p ? shift_columns(x, p->rho, 1) : x;
  const Matrix xq = p ? quantize_act_per_tensor(xf, as, p->t) : xf;
  std::vector<RowBiasSearch> out;
  for (const Matrix& wi : w) {
    const Matrix wf = p ? shift_columns(wi, p->rho, -1) : wi;
    const RowErrorModel m(xf, xq, wf);
    RowBiasSearch best;
    for (const FpSplit& s : splits) {
      RowBiasSearch r = search_row_biases(wf, s, m, grid);
      if (best.scales.empty() || r.total() < best.total()) best = std::move(r);
    }
    out.push_back(std::move(best));
  }
  return out;
}

// The tensor bias (and its shifts) with the least deployed output error summed over the linears, each weight
// re-quantized against its row scales for the candidate's shifts.
ActPreshift search_acts(const Matrix& x, const std::vector<Matrix>& w, const std::vector<RowBiasSearch>& ws, const FpSplit& as,
                        bool shift, const BiasGrid& grid) {
  const Eigen::VectorXf amax = x.cwiseAbs().colwise().maxCoeff().transpose();
  const double t0 = initial_tensor_bias(amax, as);
  std::vector<Matrix> y;
  for (const Matrix& wi : w) y.push_back(x * wi.transpose());
  std::vector<ActPreshift> cand(static_cast<std::size_t>(grid.n));
  std::vector<double> err(static_cast<std::size_t>(grid.n), 0.0);
#pragma omp parallel for schedule(dynamic, 1)
  for (int k = 0; k < grid.n; ++k) {
    const double t = t0 * grid.at(k);
    ActPreshift& p = cand[static_cast<std::size_t>(k)];
    p = shift ? act_preshift(amax, as, t) : ActPreshift{t, std::vector<int>(static_cast<std::size_t>(x.cols()), 0)};
    const Matrix xq = quantize_act_per_tensor(shift_columns(x, p.rho, 1), as, t);
    for (std::size_t i = 0; i < w.size(); ++i) {
      const Matrix wq = quantize_with_row_scales(shift_columns(w[i], p.rho, -1), ws[i].split.elem, ws[i].scales);
      err[static_cast<std::size_t>(k)] += (xq * wq.transpose() - y[i]).cast<double>().squaredNorm();
    }
  }
  const auto best = std::min_element(err.begin(), err.end()) - err.begin();  // the first least error
  return cand[static_cast<std::size_t>(best)];
}

}  // namespace

GroupFp4Calibration calibrate_group(const Matrix& x, const std::vector<Matrix>& w, const std::vector<FpSplit>& splits,
                                    const FpSplit& as, bool shift, int rounds, const BiasGrid& grid) {
  GroupFp4Calibration c;
  const ActPreshift* p = nullptr;
  for (int r = 0; r < rounds; ++r) {
    c.weights = search_weights(x, w, splits, as, p, grid);
    c.acts = search_acts(x, w, c.weights, as, shift, grid);
    p = &c.acts;
  }
  c.weights = search_weights(x, w, splits, as, p, grid);  // the row biases for the final shifts
  return c;
}

}  // namespace mxlab::algorithms
