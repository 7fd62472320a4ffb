// Causal grouped-query attention (llama2.c run.c multihead attention, computed as matrices per head).
#include "model/attention.hpp"

#include <cmath>

namespace mxlab::model {

Matrix causal_attention(const Matrix& q, const Eigen::Ref<const Matrix>& keys, const Eigen::Ref<const Matrix>& values,
                        const ModelConfig& c, int pos0, const QuantScheme& scheme, std::uint64_t stream) {
  const int T = static_cast<int>(q.rows()), S = static_cast<int>(keys.rows()), hs = c.head_size;
  const int group = c.n_heads / c.n_kv_heads;
  // Per kv head: K (S x hs, blocks along hs for Q K^T) and V^T (hs x S, blocks along positions for P V).
  std::vector<Matrix> kh(c.n_kv_heads), vt(c.n_kv_heads);
  for (int g = 0; g < c.n_kv_heads; ++g) {
    kh[g] = keys.middleCols(g * hs, hs);
    vt[g] = values.middleCols(g * hs, hs).transpose();
    quantize_rows(scheme.attn_scores, kh[g], stream * 1024 + 4 * g);  // a stream per operand and head
    quantize_rows(scheme.attn_values, vt[g], stream * 1024 + 4 * g + 1);
  }
  Matrix out(T, c.q_dim());
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
#pragma omp parallel for schedule(dynamic, 1) if (c.n_heads > 1 && T > 1)
  for (int h = 0; h < c.n_heads; ++h) {
    const int g = h / group;
    Matrix qh = q.middleCols(h * hs, hs);
    quantize_rows(scheme.attn_scores, qh, stream * 1024 + 4 * h + 2);
    Matrix p(T, S);
    p.noalias() = qh * kh[g].transpose();
    for (int t = 0; t < T; ++t) {  // softmax over the visible keys 0..pos0+t, zero beyond (causal mask)
      const int visible = pos0 + t + 1;
      auto row = p.row(t).head(visible).array();
      row = (row * scale - row.maxCoeff() * scale).exp();  // vectorized exp (Eigen), as run.c softmax
      row /= row.sum();
      p.row(t).tail(S - visible).setZero();
    }
    quantize_rows(scheme.attn_values, p, stream * 1024 + 4 * h + 3);
    out.middleCols(h * hs, hs).noalias() = p * vt[g].transpose();
  }
  return out;
}

}  // namespace mxlab::model
