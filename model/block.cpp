// The attention and SwiGLU sub-blocks of a Llama decoder layer (llama2.c run.c semantics).
#include "model/block.hpp"

#include "model/runtime.hpp"

namespace mxlab::model {

Matrix attention_block(const ModelConfig& c, const Matrix& xb, int pos0, const LinearFn& linear, const AttendFn& attend) {
  Matrix q = linear(LinearKind::q, xb);
  Matrix k = linear(LinearKind::k, xb);
  Matrix v = linear(LinearKind::v, xb);
  apply_rope(q, c.head_size, pos0, c.rope_theta);
  apply_rope(k, c.head_size, pos0, c.rope_theta);
  return linear(LinearKind::o, attend(q, k, v));
}

Matrix mlp_block(const Matrix& xb, const LinearFn& linear) {
  Matrix h1 = linear(LinearKind::gate, xb);
  const Matrix h3 = linear(LinearKind::up, xb);
#pragma omp parallel for schedule(static) if (h1.rows() >= 64)  // elementwise: the same values at any thread count
  for (Eigen::Index r = 0; r < h1.rows(); ++r) {
    auto g = h1.row(r).array();
    g = g * (1.0f / (1.0f + (-g).exp())) * h3.row(r).array();
  }
  return linear(LinearKind::down, h1);
}

}  // namespace mxlab::model
