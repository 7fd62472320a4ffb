// Llama forward pass (llama2.c run.c semantics: RMSNorm, RoPE, GQA, SwiGLU) batched over a window of tokens.
#include "model/runtime.hpp"

#include <cmath>
#include <stdexcept>

#include "model/attention.hpp"

namespace mxlab::model {

KVCache::KVCache(const ModelConfig& c, int capacity) {
  if (capacity <= 0 || capacity > c.seq_len)
    throw std::invalid_argument("KV cache capacity " + std::to_string(capacity) + " must be in [1, seq_len=" +
                                std::to_string(c.seq_len) + "]");
  k.assign(c.n_layers, Matrix::Zero(capacity, c.kv_dim()));
  v.assign(c.n_layers, Matrix::Zero(capacity, c.kv_dim()));
}

Matrix rms_norm(const Matrix& x, const Vector& weight, float eps) {
  Matrix o(x.rows(), x.cols());
  const int n = static_cast<int>(x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float* xr = x.row(r).data();
    float ss = 0.f;
    for (int j = 0; j < n; ++j) ss += xr[j] * xr[j];
    ss = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    float* orow = o.row(r).data();
    for (int j = 0; j < n; ++j) orow[j] = weight[j] * (ss * xr[j]);
  }
  return o;
}

void apply_rope(Matrix& x, int head_size, int pos0, float theta) {
  const int n = static_cast<int>(x.cols());
  std::vector<float> freq(head_size / 2);
  for (int i = 0; i < head_size; i += 2)  // run.c: freq = 1 / 10000^(head_dim / head_size), head_dim = i % hs
    freq[i / 2] = 1.0f / std::pow(theta, static_cast<float>(i) / static_cast<float>(head_size));
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float pos = static_cast<float>(pos0 + r);
    float* v = x.row(r).data();
    for (int i = 0; i < n; i += 2) {
      const float val = pos * freq[(i % head_size) / 2];
      const float fcr = std::cos(val), fci = std::sin(val);
      const float v0 = v[i], v1 = v[i + 1];
      v[i] = v0 * fcr - v1 * fci;
      v[i + 1] = v0 * fci + v1 * fcr;
    }
  }
}

Runtime::Runtime(std::shared_ptr<const ModelWeights> weights, QuantScheme scheme)
    : weights_(std::move(weights)), scheme_(std::move(scheme)) {
  if (!weights_) throw std::invalid_argument("Runtime: null weights");
}

void Runtime::set_scheme(QuantScheme scheme) {
  scheme_ = std::move(scheme);
  weight_cache_.clear();
}

const Matrix& Runtime::effective_weight(LinearId id) {
  const Linear& lin = weights_->linear(id);
  const TensorQuant& wq = scheme_.for_linear(id).weight;
  if (!wq.enabled()) return lin.weight;
  auto it = weight_cache_.find(id);
  if (it == weight_cache_.end()) {
    Matrix q = lin.weight;  // each output row is a flat vector: blocks along the input dimension K
    quantize_rows(wq, q, quant_stream(id, 0));
    it = weight_cache_.emplace(id, std::move(q)).first;
  }
  return it->second;
}

Matrix Runtime::linear(LinearId id, const Matrix& x, LinearObserver* observer) {
  const Linear& lin = weights_->linear(id);
  if (x.cols() != lin.in())
    throw std::invalid_argument(linear_name(id) + ": input has " + std::to_string(x.cols()) + " columns, layer expects " +
                                std::to_string(lin.in()));
  if (observer) observer->observe(id, x);
  const LinearQuant lq = scheme_.for_linear(id);
  const Matrix& w = effective_weight(id);
  Matrix y(x.rows(), lin.out());
  if (lq.input.enabled()) {
    Matrix xq = x;  // per token row, blocks along K
    quantize_rows(lq.input, xq, quant_stream(id, 1, calls_));
    y.noalias() = xq * w.transpose();
  } else {
    y.noalias() = x * w.transpose();
  }
  if (lin.bias.size()) y.rowwise() += lin.bias.transpose();
  quantize_rows(lq.output, y, quant_stream(id, 2, calls_));
  return y;
}

Matrix Runtime::forward(std::span<const int> tokens, const ForwardOptions& opt) {
  const ModelConfig& c = config();
  const ModelWeights& w = *weights_;
  const int T = static_cast<int>(tokens.size());
  const int pos0 = opt.cache ? opt.cache->length : 0;
  const int limit = opt.cache ? opt.cache->capacity() : c.seq_len;
  if (T == 0) throw std::invalid_argument("forward: no tokens");
  if (pos0 + T > limit)
    throw std::out_of_range("forward: positions " + std::to_string(pos0) + ".." + std::to_string(pos0 + T - 1) +
                            " exceed the " + (opt.cache ? "KV cache capacity " : "model's seq_len ") +
                            std::to_string(limit) + " (use a smaller --ctx)");
  const int n_layers = opt.n_layers < 0 ? c.n_layers : std::min(opt.n_layers, c.n_layers);

  Matrix x(T, c.dim);
  for (int t = 0; t < T; ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size)
      throw std::out_of_range("forward: token id " + std::to_string(tokens[t]) + " outside the vocabulary [0, " +
                              std::to_string(c.vocab_size) + ") — tokenizer and model do not match?");
    x.row(t) = w.token_embedding.row(tokens[t]);
  }
  for (int l = 0; l < n_layers; ++l) {
    const LayerWeights& L = w.layers[l];
    // Attention block: x += Wo · attention(RoPE(Wq xb), RoPE(Wk xb), Wv xb), xb = RMSNorm(x).
    Matrix xb = rms_norm(x, L.rms_att, c.norm_eps);
    Matrix q = linear({l, LinearKind::q}, xb, opt.observer);
    Matrix k = linear({l, LinearKind::k}, xb, opt.observer);
    Matrix v = linear({l, LinearKind::v}, xb, opt.observer);
    apply_rope(q, c.head_size, pos0, c.rope_theta);
    apply_rope(k, c.head_size, pos0, c.rope_theta);
    quantize_rows(scheme_.kv_cache, k, quant_stream({l, LinearKind::k}, 3, calls_));  // what a quantized cache stores
    quantize_rows(scheme_.kv_cache, v, quant_stream({l, LinearKind::v}, 3, calls_));
    Matrix att;
    if (opt.cache) {
      opt.cache->k[l].middleRows(pos0, T) = k;
      opt.cache->v[l].middleRows(pos0, T) = v;
      att = causal_attention(q, opt.cache->k[l].topRows(pos0 + T), opt.cache->v[l].topRows(pos0 + T), c, pos0, scheme_,
                             quant_stream({l, LinearKind::o}, 4, calls_));
    } else {
      att = causal_attention(q, k, v, c, 0, scheme_, quant_stream({l, LinearKind::o}, 4, calls_));
    }
    x += linear({l, LinearKind::o}, att, opt.observer);
    // Feed-forward block (SwiGLU): x += W2 (silu(W1 xb) * W3 xb).
    xb = rms_norm(x, L.rms_ffn, c.norm_eps);
    Matrix h1 = linear({l, LinearKind::gate}, xb, opt.observer);
    const Matrix h3 = linear({l, LinearKind::up}, xb, opt.observer);
    h1 = h1.array() * (1.0f / (1.0f + (-h1.array()).exp())) * h3.array();
    x += linear({l, LinearKind::down}, h1, opt.observer);
  }
  ++calls_;
  if (opt.cache) opt.cache->length = pos0 + T;
  if (opt.n_layers >= 0) return x;
  x = rms_norm(x, w.rms_final, c.norm_eps);
  return linear({-1, LinearKind::classifier}, x, opt.observer);
}

}  // namespace mxlab::model
