// Causal grouped-query attention over a window with a KV cache and operand quantization (internal to model/).
#pragma once
#include "model/quant_scheme.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

// q: T x (n_heads*hs) queries at positions pos0..pos0+T-1; keys/values: S x (n_kv_heads*hs) rows for
// positions 0..S-1 with S = pos0 + T. Query head h reads kv head h / (n_heads / n_kv_heads) (GQA).
// Returns T x (n_heads*hs): per head softmax(Q K^T / sqrt(hs) + causal mask) V, computed in tiles with an online
// softmax (no T x S score matrix), equal to causal_attention_reference up to float rounding; when the scheme
// quantizes the attention probabilities (attn_values: blocks along whole normalized rows of P) it is the reference.
Matrix causal_attention(const Matrix& q, const Eigen::Ref<const Matrix>& keys, const Eigen::Ref<const Matrix>& values,
                        const ModelConfig& c, int pos0, const QuantScheme& scheme, std::uint64_t stream = 0);

// The reference: each head's full masked T x S score matrix, softmax row by row as llama2.c run.c does.
Matrix causal_attention_reference(const Matrix& q, const Eigen::Ref<const Matrix>& keys,
                                  const Eigen::Ref<const Matrix>& values, const ModelConfig& c, int pos0,
                                  const QuantScheme& scheme, std::uint64_t stream = 0);

}  // namespace mxlab::model
