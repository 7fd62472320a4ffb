// llama2.c run.c sampling (argmax, multinomial, top-p with xorshift RNG) and the generate loop with a KV cache.
#include "model/generate.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "model/tokenizer.hpp"

namespace mxlab::model {
namespace {

std::uint32_t random_u32(std::uint64_t& s) {  // run.c: xorshift* (Marsaglia / Vigna)
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return static_cast<std::uint32_t>((s * 0x2545F4914F6CDD1Dull) >> 32);
}

float random_f32(std::uint64_t& s) { return static_cast<float>(random_u32(s) >> 8) / 16777216.0f; }

void softmax(float* x, int n) {  // run.c softmax
  const float mx = *std::max_element(x, x + n);
  float sum = 0.f;
  for (int i = 0; i < n; ++i) sum += (x[i] = std::exp(x[i] - mx));
  for (int i = 0; i < n; ++i) x[i] /= sum;
}

int sample_topp(const float* p, int n, float topp, float coin) {
  const float cutoff = (1.0f - topp) / static_cast<float>(n - 1);
  std::vector<std::pair<float, int>> idx;
  for (int i = 0; i < n; ++i)
    if (p[i] >= cutoff) idx.emplace_back(p[i], i);
  std::sort(idx.begin(), idx.end(), [](auto& a, auto& b) { return a.first > b.first; });
  float cumulative = 0.f;
  int last = static_cast<int>(idx.size()) - 1;
  for (int i = 0; i < static_cast<int>(idx.size()); ++i) {
    cumulative += idx[i].first;
    if (cumulative > topp) {
      last = i;
      break;
    }
  }
  const float r = coin * cumulative;
  float cdf = 0.f;
  for (int i = 0; i <= last; ++i) {
    cdf += idx[i].first;
    if (r < cdf) return idx[i].second;
  }
  return idx[last].second;
}

}  // namespace

int sample_token(float* logits, int n, float temperature, float top_p, std::uint64_t& rng) {
  if (temperature == 0.0f) return static_cast<int>(std::max_element(logits, logits + n) - logits);
  for (int i = 0; i < n; ++i) logits[i] /= temperature;
  softmax(logits, n);
  const float coin = random_f32(rng);
  if (top_p > 0 && top_p < 1) return sample_topp(logits, n, top_p, coin);
  float cdf = 0.f;  // run.c sample_mult
  for (int i = 0; i < n; ++i) {
    cdf += logits[i];
    if (coin < cdf) return i;
  }
  return n - 1;
}

int check_generate(const ModelConfig& config, const std::vector<int>& prompt, const GenerateOptions& opt) {
  const int seq_len = config.seq_len;
  const int steps = (opt.steps <= 0 || opt.steps > seq_len) ? seq_len : opt.steps;
  if (prompt.empty()) throw std::invalid_argument("generate: empty prompt (start with BOS = 1)");
  if (opt.steps < 0)
    throw std::invalid_argument("generate: steps must be >= 0 (0 = seq_len), got " + std::to_string(opt.steps));
  if (!(opt.temperature >= 0)) throw std::invalid_argument("generate: temperature must be >= 0");
  if (!(opt.top_p > 0 && opt.top_p <= 1))
    throw std::invalid_argument("generate: top-p must be in (0, 1] (1 = off), got " + std::to_string(opt.top_p));
  if (opt.seed == 0) throw std::invalid_argument("generate: seed must be non-zero (xorshift state)");
  if (static_cast<int>(prompt.size()) > steps)
    throw std::invalid_argument("generate: prompt of " + std::to_string(prompt.size()) +
                                " tokens leaves no room within " + std::to_string(steps) + " steps");
  return steps;
}

std::vector<int> generate(Runtime& model, const std::vector<int>& prompt, const GenerateOptions& opt) {
  const int steps = check_generate(model.config(), prompt, opt);
  std::uint64_t rng = opt.seed;
  KVCache cache(model.config(), steps);
  ForwardOptions fo;
  fo.cache = &cache;
  std::vector<int> out = prompt;
  // Prefill the prompt in one batch; the last row predicts the first new token.
  Matrix logits = model.forward(prompt, fo);
  int token = prompt.back();
  for (int pos = static_cast<int>(prompt.size()); pos <= steps; ++pos) {  // sample the token at position pos
    Eigen::VectorXf row = logits.row(logits.rows() - 1).transpose();
    const int next = sample_token(row.data(), static_cast<int>(row.size()), opt.temperature, opt.top_p, rng);
    if (next == kBos) break;  // run.c: BOS delimits sequences
    if (opt.on_token) opt.on_token(token, next);
    out.push_back(next);
    token = next;
    if (pos == steps) break;  // run.c forwards positions 0..steps-1 only
    const int one[1] = {next};
    logits = model.forward(one, fo);
  }
  return out;
}

}  // namespace mxlab::model
