// Per-decoder-layer errors, storage and importance of a PTQ run.
#include "experiments/layer_errors.hpp"

#include <algorithm>
#include <cmath>
#include <span>

namespace mxlab::experiments {

std::vector<double> residual_rel_errors(const algorithms::PtqSession& session, const algorithms::PtqRunResult& r,
                                        std::size_t max_windows) {
  if (session.texts.empty() || session.texts[0].tokens.size() < 2) return {};
  algorithms::PtqContext deployed{r.weights, {}, session.ctx, r.scheme, {}, r.scales};
  model::Runtime q = deployed.deployed_runtime(), ref(session.fp32);
  const std::vector<int>& tokens = session.texts[0].tokens;
  const std::size_t ctx = static_cast<std::size_t>(ref.config().seq_len);
  const std::size_t windows = std::max<std::size_t>(1, std::min(max_windows, tokens.size() / ctx));
  const int layers = ref.config().n_layers;
  std::vector<double> diff(static_cast<std::size_t>(layers), 0.0), norm(diff);
  for (std::size_t w = 0; w < windows; ++w) {
    const std::span<const int> win(tokens.data() + w * ctx, std::min(ctx, tokens.size() - w * ctx));
    model::Matrix hq = q.embed(win), hf = ref.embed(win);
    for (int l = 0; l < layers; ++l) {
      q.run_layers(hq, l, l + 1);
      ref.run_layers(hf, l, l + 1);
      diff[static_cast<std::size_t>(l)] += (hq - hf).cast<double>().squaredNorm();
      norm[static_cast<std::size_t>(l)] += hf.cast<double>().squaredNorm();
    }
  }
  for (std::size_t l = 0; l < diff.size(); ++l) diff[l] = norm[l] > 0 ? std::sqrt(diff[l] / norm[l]) : 0.0;
  return diff;
}

std::optional<std::vector<double>> layer_importance(const algorithms::PtqRunResult& r) {
  if (r.layer_importance.empty()) return std::nullopt;
  return r.layer_importance;
}

LayerTable block_table(const algorithms::PtqSession& session, const algorithms::PtqRunResult& r) {
  LayerTable t;
  const int layers = session.fp32->config.n_layers;
  std::vector<double> bits(static_cast<std::size_t>(layers), 0.0), weights(bits);
  for (const algorithms::LinearRecord& l : r.linears)
    if (l.id.layer >= 0 && l.id.layer < layers) {
      bits[static_cast<std::size_t>(l.id.layer)] += static_cast<double>(l.bits);
      weights[static_cast<std::size_t>(l.id.layer)] += static_cast<double>(l.rows * l.cols);
    }
  for (int l = 0; l < layers; ++l) t.names.push_back("layers." + std::to_string(l));
  std::vector<double>& bpw = t.numbers["bits_per_weight"];
  for (std::size_t l = 0; l < bits.size(); ++l) bpw.push_back(weights[l] > 0 ? bits[l] / weights[l] : std::nan(""));
  t.numbers["bits"] = std::move(bits);
  t.numbers["weights"] = std::move(weights);
  if (std::vector<double> e = residual_rel_errors(session, r); !e.empty()) t.numbers["residual_rel_error"] = std::move(e);
  if (auto imp = layer_importance(r)) t.numbers["importance"] = std::move(*imp);
  return t;
}

}  // namespace mxlab::experiments
