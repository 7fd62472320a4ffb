// Llama forward pass (llama2.c run.c semantics: RMSNorm, RoPE, GQA, SwiGLU) batched over a window of tokens.
#include "model/runtime.hpp"

#include <malloc.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "model/attention.hpp"
#include "model/block.hpp"
#include "formats/int_block_gemm.hpp"

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
#pragma omp parallel for schedule(static) if (x.rows() >= 64)
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float* xr = x.row(r).data();
    const float ss = 1.0f / std::sqrt(x.row(r).squaredNorm() / static_cast<float>(n) + eps);  // vectorized sum
    float* orow = o.row(r).data();
    for (int j = 0; j < n; ++j) orow[j] = weight[j] * (ss * xr[j]);
  }
  return o;
}

void apply_rope(Matrix& x, int head_size, int pos0, float theta) {
  const int n = static_cast<int>(x.cols());
  const int half = head_size / 2;
  std::vector<float> freq(half);
  for (int i = 0; i < head_size; i += 2)  // run.c: freq = 1 / 10000^(head_dim / head_size), head_dim = i % hs
    freq[i / 2] = 1.0f / std::pow(theta, static_cast<float>(i) / static_cast<float>(head_size));
#pragma omp parallel if (x.rows() >= 64)
  {
    std::vector<float> cs(2 * half);
#pragma omp for schedule(static)
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const float pos = static_cast<float>(pos0 + r);
      for (int f = 0; f < half; ++f) {  // the rotation of each frequency, once per row for all heads
        const float val = pos * freq[f];
        cs[2 * f] = std::cos(val), cs[2 * f + 1] = std::sin(val);
      }
      float* v = x.row(r).data();
      for (int i = 0; i < n; i += 2) {
        const float fcr = cs[i % head_size], fci = cs[i % head_size + 1];
        const float v0 = v[i], v1 = v[i + 1];
        v[i] = v0 * fcr - v1 * fci;
        v[i + 1] = v0 * fci + v1 * fcr;
      }
    }
  }
}

// A window's activations at LLM size are tens of MB (2048 x 5632 floats: 46 MB). Above glibc's mmap threshold
// (dynamic, at most 32 MiB by default) every such block is a fresh mapping whose pages the kernel faults in and
// zeroes on each use, about 0.5 ms per MB here: ~5% of a 1.1B-shape FP32 eval. Blocks under 1 GiB are served from
// (and freed back to) the heap instead, so each window reuses the previous window's pages.
void keep_activation_blocks_in_heap() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
}

Runtime::Runtime(std::shared_ptr<const ModelWeights> weights, QuantScheme scheme)
    : weights_(std::move(weights)), scheme_(std::move(scheme)) {
  if (!weights_) throw std::invalid_argument("Runtime: null weights");
}

void Runtime::set_scheme(QuantScheme scheme) {
  scheme_ = std::move(scheme);
  clear_weight_cache();
}

const LayerWeights& Runtime::layer_weights(int l) {
  if (!weights_->streamed) return weights_->layers.at(static_cast<std::size_t>(l));
  if (l != streamed_layer_) {
    auto drop = [&](auto& cache) { std::erase_if(cache, [&](const auto& e) { return e.first.layer == streamed_layer_; }); };
    if (streamed_layer_ >= 0) {
      drop(weight_cache_);
      std::erase_if(exact_cache_, [&](const auto& e) { return e.first.layer == streamed_layer_ && !e.second.packed; });
    }
    if (!streamed_ || streamed_.use_count() > 1) streamed_.reset(), streamed_ = std::make_shared<LayerWeights>();
    streamed_layer_ = -1;  // at most one layer resident: widened into the previous layer's buffers
    weights_->streamed->layer_into(l, *streamed_);
    streamed_layer_ = l;
  }
  return *streamed_;
}

const Linear& Runtime::weights_of(LinearId id) {
  if (!weights_->streamed || id.kind == LinearKind::classifier) return weights_->linear(id);
  return layer_weights(id.layer).linear(id.kind);
}

const Matrix& Runtime::effective_weight(LinearId id) {
  const Linear& lin = weights_of(id);
  const TensorQuant& wq = scheme_.for_linear(id).weight;
  if (!wq.enabled()) return lin.weight;
  if (weight_scales_.count(id)) {  // already quantized against known scales: checked lossless, used as is
    (void)exact_weight(id);
    return lin.weight;
  }
  auto it = weight_cache_.find(id);
  if (it == weight_cache_.end()) {
    Matrix q = lin.weight;  // each output row is a flat vector: blocks along the input dimension K
    quantize_rows(wq, q, quant_stream(id, 0));
    it = weight_cache_.emplace(id, std::move(q)).first;
  }
  return it->second;
}

ExactMatrix Runtime::quantize_weight_exact(LinearId id) {
  const Matrix& w = weights_of(id).weight;
  const TensorQuant& wq = scheme_.for_linear(id).weight;
  const std::span<const float> data(w.data(), static_cast<std::size_t>(w.size()));
  const int rows = static_cast<int>(w.rows()), cols = static_cast<int>(w.cols());
  if (auto s = weight_scales_.find(id); s != weight_scales_.end()) {
    try {
      return ExactMatrix::with_scales(*wq.format, wq.block_for(cols), data, rows, cols, s->second.bytes, s->second.tensor_scale);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(linear_name(id) + ": " + e.what());
    }
  }
  return ExactMatrix::quantize(*wq.format, wq.config(cols, quant_stream(id, 0)), data, rows, cols);
}

const Runtime::ExactWeight& Runtime::exact_weight(LinearId id) {
  if (auto it = exact_cache_.find(id); it != exact_cache_.end()) return it->second;
  const LinearQuant lq = scheme_.for_linear(id);
  const bool int_acts = lq.input.enabled() && lq.input.static_scale <= 0 && int_block_encodes(*lq.input.format);
  if (!int_acts) return exact_cache_.emplace(id, ExactWeight{quantize_weight_exact(id), std::nullopt}).first->second;
  if (!weight_scales_.count(id)) {  // straight into the kernel's layout where the one-pass encoder covers it
    const Matrix& m = weights_of(id).weight;
    const TensorQuant& wq = lq.weight;
    const int rows = static_cast<int>(m.rows()), cols = static_cast<int>(m.cols());
    if (const auto e = encode_int_block_acts(*wq.format, wq.config(cols, quant_stream(id, 0)),
                                             {m.data(), static_cast<std::size_t>(m.size())}, rows, cols))
      if (auto p = pack_int_block_weights(*e)) return exact_cache_.emplace(id, ExactWeight{{}, std::move(p)}).first->second;
  }
  ExactWeight w{quantize_weight_exact(id), std::nullopt};
  if ((w.packed = pack_int_block_weights(w.matrix))) w.matrix = {};
  return exact_cache_.emplace(id, std::move(w)).first->second;
}

void Runtime::set_weight_scales(LinearId id, std::vector<std::uint8_t> scale_bytes, float tensor_scale) {
  weight_scales_[id] = {std::move(scale_bytes), tensor_scale};
  weight_cache_.erase(id);
  exact_cache_.erase(id);
}

// An input hook with a static scale (TensorQuant::static_scale): the values quantized against it, every block of
// every row carrying that one scale.
static ExactMatrix exact_static_input(const TensorQuant& q, const Matrix& x) {
  Matrix v = x;
  quantize_rows(q, v);
  const int rows = static_cast<int>(x.rows()), cols = static_cast<int>(x.cols()), block = q.block_for(cols);
  std::vector<std::uint8_t> scales(static_cast<std::size_t>(rows) * ((cols + block - 1) / block) * 4);
  for (std::size_t i = 0; i < scales.size(); i += 4) std::memcpy(&scales[i], &q.static_scale, 4);
  return ExactMatrix::with_scales(*q.format, block, {v.data(), static_cast<std::size_t>(v.size())}, rows, cols, scales);
}

// Both operands in block formats: every output as the hardware dot unit computes it (formats/exact_gemm.hpp), in
// integer block dots where the formats allow (formats/int_block_gemm.hpp), bit for bit the same: activations
// encoded straight into the kernel's layout when the one-pass encoder covers them, else through ExactMatrix.
void Runtime::exact_linear(LinearId id, const LinearQuant& lq, const Matrix& x, Matrix& y) {
  const std::span<float> out(y.data(), static_cast<std::size_t>(y.size()));
  const std::span<const float> xs(x.data(), static_cast<std::size_t>(x.size()));
  const int rows = static_cast<int>(x.rows()), cols = static_cast<int>(x.cols());
  const QuantConfig cfg = lq.input.config(cols, quant_stream(id, 1, calls_));
  const ExactWeight& w = exact_weight(id);
  if (w.packed && lq.input.static_scale <= 0)
    if (const auto a = encode_int_block_acts(*lq.input.format, cfg, xs, rows, cols); a && int_block_gemm_supports(*a, *w.packed, scheme_.acc))
      return int_block_gemm(*a, *w.packed, scheme_.acc, out);
  const ExactMatrix xq = lq.input.static_scale > 0 ? exact_static_input(lq.input, x)
                                                   : ExactMatrix::quantize(*lq.input.format, cfg, xs, rows, cols);
  if (!w.packed) return exact_gemm_fast(xq, w.matrix, scheme_.acc, out);
  if (const auto a = pack_int_block_acts(xq); a && int_block_gemm_supports(*a, *w.packed, scheme_.acc))
    return int_block_gemm(*a, *w.packed, scheme_.acc, out);
  exact_gemm(xq, quantize_weight_exact(id), scheme_.acc, out);  // A's scales outside the kernel's range: rare
}

// Only the linear's weight is read from a streamed layer (widening it), and only when no cached exact form has it:
// shapes come from the config, biases stay resident beside the RMSNorm weights (ModelWeights::bias).
Matrix Runtime::linear(LinearId id, const Matrix& x, LinearObserver* observer) {
  const LinearShape shape = linear_shape(config(), id.kind);
  if (x.cols() != shape.in)
    throw std::invalid_argument(linear_name(id) + ": input has " + std::to_string(x.cols()) + " columns, layer expects " +
                                std::to_string(shape.in));
  if (observer) observer->observe(id, x);
  const LinearQuant lq = scheme_.for_linear(id);
  Matrix y(x.rows(), shape.out);
  if (scheme_.gemm == GemmMode::exact && lq.weight.enabled() && lq.input.enabled()) {
    exact_linear(id, lq, x, y);
  } else if (lq.input.enabled()) {
    Matrix xq = x;  // per token row, blocks along K
    quantize_rows(lq.input, xq, quant_stream(id, 1, calls_));
    y.noalias() = xq * effective_weight(id).transpose();
  } else {
    y.noalias() = x * effective_weight(id).transpose();
  }
  if (const Vector& bias = weights_->bias(id); bias.size()) y.rowwise() += bias.transpose();
  quantize_rows(lq.output, y, quant_stream(id, 2, calls_));
  return y;
}

Matrix Runtime::forward(std::span<const int> tokens, const ForwardOptions& opt) {
  const ModelConfig& c = config();
  const int T = static_cast<int>(tokens.size());
  const int pos0 = opt.cache ? opt.cache->length : 0;
  const int limit = opt.cache ? opt.cache->capacity() : c.seq_len;
  if (T == 0) throw std::invalid_argument("forward: no tokens");
  if (pos0 + T > limit)
    throw std::out_of_range("forward: positions " + std::to_string(pos0) + ".." + std::to_string(pos0 + T - 1) +
                            " exceed the " + (opt.cache ? "KV cache capacity " : "model's seq_len ") +
                            std::to_string(limit) + " (use a smaller --ctx)");
  const int n_layers = opt.n_layers < 0 ? c.n_layers : std::min(opt.n_layers, c.n_layers);

  Matrix x = embed(tokens);
  for (int l = 0; l < n_layers; ++l) block(l, x, pos0, opt.cache, opt.observer);
  ++calls_;
  if (opt.cache) opt.cache->length = pos0 + T;
  if (opt.n_layers >= 0) return x;
  return head(x, opt.observer);
}

Matrix Runtime::embed(std::span<const int> tokens) const {
  const ModelConfig& c = config();
  Matrix x(static_cast<Eigen::Index>(tokens.size()), c.dim);
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab_size)
      throw std::out_of_range("forward: token id " + std::to_string(tokens[t]) + " outside the vocabulary [0, " +
                              std::to_string(c.vocab_size) + ") — tokenizer and model do not match?");
    x.row(static_cast<Eigen::Index>(t)) = weights_->token_embedding.row(tokens[t]);
  }
  return x;
}

AttendFn Runtime::attend_fn(int l, int pos0, KVCache* cache) {
  return [this, l, pos0, cache](Matrix& q, Matrix& k, Matrix& v) {
    const ModelConfig& c = config();
    const int T = static_cast<int>(q.rows());
    quantize_rows(scheme_.kv_cache, k, quant_stream({l, LinearKind::k}, 3, calls_));  // what a quantized cache stores
    quantize_rows(scheme_.kv_cache, v, quant_stream({l, LinearKind::v}, 3, calls_));
    const std::uint64_t stream = quant_stream({l, LinearKind::o}, 4, calls_);
    if (!cache) return causal_attention(q, k, v, c, 0, scheme_, stream);
    cache->k[l].middleRows(pos0, T) = k;
    cache->v[l].middleRows(pos0, T) = v;
    return causal_attention(q, cache->k[l].topRows(pos0 + T), cache->v[l].topRows(pos0 + T), c, pos0, scheme_, stream);
  };
}

// x += y, rows in parallel.
static void add_rows(Matrix& x, const Matrix& y) {
#pragma omp parallel for schedule(static) if (x.rows() >= 64)
  for (Eigen::Index r = 0; r < x.rows(); ++r) x.row(r) += y.row(r);
}

void Runtime::block(int l, Matrix& x, int pos0, KVCache* cache, LinearObserver* observer) {
  const ModelConfig& c = config();
  const LayerWeights& L = weights_->layers.at(static_cast<std::size_t>(l));  // the RMSNorm weights, streamed or not
  const LinearFn lin = [&](LinearKind kind, const Matrix& in) { return linear({l, kind}, in, observer); };
  add_rows(x, attention_block(c, rms_norm(x, L.rms_att, c.norm_eps), pos0, lin, attend_fn(l, pos0, cache)));  // x += Wo attention(..)
  add_rows(x, mlp_block(rms_norm(x, L.rms_ffn, c.norm_eps), lin));  // x += W2 (silu(W1 xb) * W3 xb)
}

void Runtime::run_layers(Matrix& x, int first, int last, LinearObserver* observer) {
  if (first < 0 || last > config().n_layers || first > last || x.cols() != config().dim)
    throw std::invalid_argument("run_layers: layers [" + std::to_string(first) + ", " + std::to_string(last) +
                                ") on " + std::to_string(x.cols()) + "-wide rows of a " +
                                std::to_string(config().n_layers) + "-layer, dim " + std::to_string(config().dim) + " model");
  if (x.rows() > config().seq_len)
    throw std::out_of_range("run_layers: " + std::to_string(x.rows()) + " positions exceed seq_len " +
                            std::to_string(config().seq_len));
  for (int l = first; l < last; ++l) block(l, x, 0, nullptr, observer);
  ++calls_;
}

Matrix Runtime::head(const Matrix& x, LinearObserver* observer) {
  return linear({-1, LinearKind::classifier}, rms_norm(x, weights_->rms_final, config().norm_eps), observer);
}

}  // namespace mxlab::model
