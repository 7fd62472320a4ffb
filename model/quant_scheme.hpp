// Quantization hooks of the runtime: which format quantizes each linear layer's weight, input and output,
// the KV cache and the attention matmul operands (fake quantization through mxlab::fake_quantize).
#pragma once
#include <map>
#include <optional>
#include <string>

#include "formats/accumulate.hpp"
#include "formats/format.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

// `--block row`: one block per row (per output channel of a weight, per token of an activation), whatever the
// row's width.
inline constexpr int kBlockRow = -1;
// Parses a block option: "row" (kBlockRow), or an integer >= 0 (0 = the format's default); throws
// std::invalid_argument naming the value.
int parse_block(std::string_view text);

// One quantization point: a format (none = pass-through) and its QuantConfig (block, rounding, seed).
struct TensorQuant {
  std::optional<Format> format;
  QuantConfig cfg{};
  bool per_row = false;  // blocks are whole rows (kBlockRow); cfg.block is then unused
  // > 0: a static (calibrated) scale every block uses instead of one from its own values, for formats with an FP32
  // block scale (fp_group, int_group), round half to even: LLM-FP4's per-tensor activation bias. 0: dynamic.
  float static_scale = 0.0f;
  bool enabled() const { return format.has_value(); }
  // "none" or "<format>/<block>" ("<format>/row") for logs.
  std::string describe() const;
  // Parses "none" or a format name of the table; block 0 = the format's default, kBlockRow = one per row.
  static TensorQuant parse(std::string_view name, int block = 0);
  // The QuantConfig for rows of `cols` values: the block resolved (per_row: cols) and `stream` mixed into the
  // stochastic-rounding seed (what quantize_rows(q, m, stream) uses for each row).
  QuantConfig config(int cols, std::uint64_t stream = 0) const;
  // The block size for rows of `cols` values (per_row: cols; 0: the format's default).
  int block_for(int cols) const;
  // This quantizer with `stream` mixed into its stochastic-rounding seed (stream_config): what quantize_rows(q, m,
  // stream) uses, as a quantizer of its own (PTQ algorithms quantize each tensor in its own stream).
  TensorQuant in_stream(std::uint64_t stream) const;
};

// A linear layer y = x W^T: weight (quantized once, each output row a flat vector, blocks along the input
// dimension K), input activations (per token row, blocks along K) and optionally the output (per row).
struct LinearQuant {
  TensorQuant weight, input, output;
  bool enabled() const { return weight.enabled() || input.enabled() || output.enabled(); }
};

// How a linear layer multiplies: `fakequant` dequantizes both operands and runs a float32 GEMM; `exact`
// computes every output as the hardware does (formats/dot.hpp): the exact value of each block pair along K,
// accumulated in order, rounded once per block into the accumulator format `acc`.
enum class GemmMode { fakequant, exact };
std::string_view gemm_mode_name(GemmMode m);
GemmMode parse_gemm_mode(std::string_view name);  // "fakequant" | "exact"; throws std::invalid_argument

struct QuantScheme {
  GemmMode gemm = GemmMode::fakequant;
  AccFormat acc{};  // exact mode: the accumulator format (FP32 by default)
  LinearQuant linear;                            // default for every block linear (q, k, v, o, gate, up, down)
  bool quantize_classifier = false;              // the classifier uses `linear` only when set
  std::map<std::string, LinearQuant> overrides;  // per-layer, by linear_name ("layers.3.down", "classifier")
  TensorQuant kv_cache;     // K (after RoPE) and V rows as stored in the cache, per token row of kv_dim
  TensorQuant attn_scores;  // operands of Q K^T: Q and K per head vector (blocks along head_size)
  TensorQuant attn_values;  // operands of P V: P rows (blocks along key positions) and V columns (same axis)

  // The effective hook of one linear layer (override, else default, classifier only when enabled).
  LinearQuant for_linear(LinearId id) const;
  bool any() const;
  std::string describe() const;
};

// The linear-layer settings `mxlab ptq` takes and a sweep point lists, spelled as there: weight and activation
// format names ("none" = not quantized), blocks ("0" = the format's default, an integer, or "row"), rounding and
// its seed, classifier, GEMM mode ("fakequant" | "exact"), accumulator, nvfp4's per-tensor scale.
struct LinearSchemeOptions {
  std::string weights = "none", acts = "none", block = "0", act_block = "0", round = "even";
  std::uint64_t round_seed = 0;
  bool quantize_classifier = false;
  std::string gemm = "fakequant", acc = "fp32";
  bool tensor_scale = false;
};
// The scheme those settings describe (every block linear; the classifier too when asked); throws
// std::invalid_argument with one line on a bad name or value or a combination set_gemm refuses.
QuantScheme linear_scheme(const LinearSchemeOptions& o);
// Sets scheme.gemm and scheme.acc and, with tensor_scale, the per-tensor scale of every nvfp4 quantizer of the
// scheme (formats must be set first); throws std::invalid_argument on a bad name, when exact mode lacks a weight
// or an activation format, or when tensor_scale finds no nvfp4 quantizer.
void set_gemm(QuantScheme& scheme, std::string_view gemm, std::string_view acc, bool tensor_scale);

// Fake-quantizes every row of m in place (row r is a flat vector; stochastic index_base = r * cols). With nvfp4's
// tensor scale (cfg.tensor_scale) every row uses the one scale of the whole matrix, amax(m) / (6 * 448).
// `stream` is mixed into the stochastic-rounding seed so that distinct tensors (layers, heads, forward calls)
// draw independent random bits. Rows are processed in parallel with OpenMP.
void quantize_rows(const TensorQuant& q, Matrix& m, std::uint64_t stream = 0);
// A stochastic-rounding stream id for one tensor of a linear layer (slot: 0 weight, 1 input, 2 output, ...),
// in forward call `call`.
std::uint64_t quant_stream(LinearId id, int slot, std::uint64_t call = 0);

}  // namespace mxlab::model
