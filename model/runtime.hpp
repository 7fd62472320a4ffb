// Llama-family forward pass over a window of tokens (prefill style, GEMMs through Eigen) with quantization hooks,
// an optional KV cache for incremental decoding, and an observer seeing every linear layer's input.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "formats/int_block_gemm.hpp"
#include "model/block.hpp"
#include "model/quant_scheme.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

// Keys (after RoPE) and values of every layer for positions [0, length).
struct KVCache {
  KVCache(const ModelConfig& c, int capacity);
  std::vector<Matrix> k, v;  // per layer: capacity x kv_dim
  int length = 0;
  int capacity() const { return k.empty() ? 0 : static_cast<int>(k[0].rows()); }
};

// Sees the input rows (T x in) of linear layer `id` as they arrive, before that layer's input quantization.
// q/k/v (and gate/up) see the same matrix, each under its own id. Used by calibration (calibration.hpp).
class LinearObserver {
 public:
  virtual ~LinearObserver() = default;
  virtual void observe(LinearId id, const Matrix& x) = 0;
};

struct ForwardOptions {
  KVCache* cache = nullptr;            // null: the tokens are positions 0..T-1 and nothing is kept
  LinearObserver* observer = nullptr;
  int n_layers = -1;  // >= 0: run only the first n blocks and return the residual stream (T x dim), no head
};

class Runtime {
 public:
  // Weights are shared (several runtimes, e.g. FP32 reference and quantized, may read the same weights).
  explicit Runtime(std::shared_ptr<const ModelWeights> weights, QuantScheme scheme = {});

  const ModelWeights& weights() const { return *weights_; }
  const ModelConfig& config() const { return weights_->config; }
  const QuantScheme& scheme() const { return scheme_; }
  void set_scheme(QuantScheme scheme);
  // Quantized weights are cached per layer; call this after changing weights this runtime reads
  // (e.g. a PTQ algorithm replacing a layer's weight or scaling an RMSNorm weight).
  void clear_weight_cache() {
    weight_cache_.clear();
    exact_cache_.clear();
  }

  // Logits (T x vocab) for tokens at positions cache->length .. + T-1 (0.. without a cache). Row t predicts
  // the token after tokens[t]. Throws std::out_of_range for a token outside the vocabulary or a position
  // at or past seq_len (or the cache capacity).
  Matrix forward(std::span<const int> tokens, const ForwardOptions& opt = {});

  // The pieces of forward(), for callers that keep hidden states between layers (PTQ's layer-input cache):
  // token embeddings (T x dim; throws std::out_of_range for a token outside the vocabulary), decoder blocks
  // [first, last) applied in place to rows at positions 0..T-1 (no KV cache; one forward call for stochastic
  // rounding streams), and the final RMSNorm + classifier. forward() is embed, every block, head.
  Matrix embed(std::span<const int> tokens) const;
  void run_layers(Matrix& x, int first, int last, LinearObserver* observer = nullptr);
  Matrix head(const Matrix& x, LinearObserver* observer = nullptr);
  // Block l's attention as forward() computes it (KV-cache quantization, cache writes, operand quantization), for
  // callers that run a block's linears one stage at a time (GPTQ's staged capture): attention_block with it and
  // linear() equals the block's attention half. Streams: this runtime's current forward call.
  AttendFn attend_fn(int layer, int pos0 = 0, KVCache* cache = nullptr);

  // The layer y = x W^T + b with this runtime's hooks (for algorithms that re-run one layer).
  Matrix linear(LinearId id, const Matrix& x, LinearObserver* observer = nullptr);
  // The weight the hooks multiply with (quantized and cached when the layer's weight hook is on).
  const Matrix& effective_weight(LinearId id);
  // Fixes the block scales of a layer's weight hook (weights already quantized by a PTQ algorithm against
  // these scales): rows x ceil(in / block) blocks, row-major, traits(format).scale_bits() / 8 bytes each, and
  // the nvfp4 per-tensor scale. The weight hook then quantizes against them (losslessly for such weights), so
  // `--gemm exact` multiplies with exactly the codes the algorithm chose.
  void set_weight_scales(LinearId id, std::vector<std::uint8_t> scale_bytes, float tensor_scale = 1.0f);

 private:
  std::shared_ptr<const ModelWeights> weights_;
  QuantScheme scheme_;
  std::map<LinearId, Matrix> weight_cache_;
  // --gemm exact: a weight in the integer block GEMM's packed form where that kernel covers it (then `matrix` is
  // left empty: 1.25 bytes per weight, kept across layers of a streamed model), else as exact fixed-point blocks.
  struct ExactWeight {
    ExactMatrix matrix;
    std::optional<IntBlockW> packed;
  };
  std::map<LinearId, ExactWeight> exact_cache_;
  const ExactWeight& exact_weight(LinearId id);
  ExactMatrix quantize_weight_exact(LinearId id);  // the weight hook's exact form, not cached
  void exact_linear(LinearId id, const LinearQuant& lq, const Matrix& x, Matrix& y);
  // Weight access: resident weights, or for a streamed model (ModelWeights::streamed) the one layer being computed,
  // read and widened to FP32 when a block starts; moving to another layer drops the previous one and its caches.
  const LayerWeights& layer_weights(int layer);
  const Linear& weights_of(LinearId id);
  std::shared_ptr<LayerWeights> streamed_;  // reused for every layer (widened into in place) while no copy shares it
  int streamed_layer_ = -1;
  void block(int layer, Matrix& x, int pos0, KVCache* cache, LinearObserver* observer);
  struct FixedScales {
    std::vector<std::uint8_t> bytes;
    float tensor_scale = 1.0f;
  };
  std::map<LinearId, FixedScales> weight_scales_;
  std::uint64_t calls_ = 0;  // forward calls so far: a stochastic-rounding stream per call
};

// Row-wise RMSNorm exactly as llama2.c run.c rmsnorm: o = w * (x / sqrt(mean(x^2) + eps)).
Matrix rms_norm(const Matrix& x, const Vector& weight, float eps);
// llama2.c RoPE in place on rows (positions pos0..pos0+T-1): pairs (2i, 2i+1) of each head rotated by
// pos * theta^(-(2i mod head_size)/head_size).
void apply_rope(Matrix& x, int head_size, int pos0, float theta);
// Process-wide glibc malloc setting for programs that evaluate LLM-sized windows (the mxlab CLI, the benchmarks):
// activation blocks under 1 GiB come from and go back to the heap instead of fresh zeroed mappings. A library
// does not change its host's allocator by itself; call this once from main.
void keep_activation_blocks_in_heap();

}  // namespace mxlab::model
