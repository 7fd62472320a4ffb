// Perplexity over a token stream and, against an FP32 reference, KL divergence and top-1 agreement.
#pragma once
#include <functional>
#include <span>

#include "model/runtime.hpp"

namespace mxlab::model {

struct EvalOptions {
  int ctx = 0;                 // window length; 0 = the model's seq_len
  std::size_t max_tokens = 0;  // use only the first max_tokens of the stream (0 = all)
  std::function<void(std::size_t window, std::size_t windows)> progress = {};  // (0, n) first, then after each window
};

struct EvalResult {
  int ctx = 0;
  std::size_t windows = 0;
  std::size_t tokens = 0;  // predicted tokens counted: windows * (ctx - 1)
  double nll = 0;          // mean negative log-likelihood, nats/token
  double ppl = 0;          // exp(nll)
  // Against the reference model (only when evaluate() was given one):
  bool compared = false;
  double ref_nll = 0;
  double kld_mean = 0;    // mean over positions of KL(P_ref || Q_model), nats
  double kld_median = 0;
  double kld_p999 = 0;    // 99.9th percentile (llama.cpp perplexity: linear interpolation on sorted values)
  double kld_max = 0;
  double top1_agree = 0;  // fraction of positions where both argmaxes agree
};

// Protocol: consecutive non-overlapping windows of ctx tokens of the stream (after max_tokens), tail dropped;
// in each window the logits at position t-1 score token t for t = 1..ctx-1 (prediction from tokens < t within
// the window). Throws std::invalid_argument if the stream is shorter than one window.
EvalResult evaluate(Runtime& model, std::span<const int> tokens, const EvalOptions& opt = {},
                    Runtime* reference = nullptr);

// llama.cpp perplexity's percentile: linear interpolation between sorted values at fraction * (n - 1).
double percentile_sorted(const std::vector<double>& sorted, double fraction);

}  // namespace mxlab::model
