// One decoder layer's two sub-blocks, written once for the runtime and the PTQ algorithms. How a linear layer is
// computed (quantization hooks, substitute weights) and how attention is done (KV cache and operand quantization,
// or plain causal attention) are parameters.
#pragma once
#include <functional>

#include "model/weights.hpp"

namespace mxlab::model {

// y = x W^T + b of linear `kind` of the layer being computed.
using LinearFn = std::function<Matrix(LinearKind kind, const Matrix& x)>;
// Attention of a window's queries, keys and values (T x q_dim, T x kv_dim, T x kv_dim; q and k already rotated by
// RoPE; the callee may quantize or store them in place). Returns T x q_dim.
using AttendFn = std::function<Matrix(Matrix& q, Matrix& k, Matrix& v)>;

// Attention sub-block on the normalized input xb (rows at positions pos0, pos0+1, ..):
// o(attend(RoPE(q xb), RoPE(k xb), v xb)). Linears are called in the order q, k, v, o.
Matrix attention_block(const ModelConfig& c, const Matrix& xb, int pos0, const LinearFn& linear, const AttendFn& attend);
// SwiGLU feed-forward sub-block on the normalized input: down(silu(gate xb) * up xb).
Matrix mlp_block(const Matrix& xb, const LinearFn& linear);

}  // namespace mxlab::model
