// Causal grouped-query attention (llama2.c run.c multihead attention): the reference builds each head's masked
// T x S score matrix; the default path tiles queries and keys with an online softmax (FlashAttention, Dao et al.
// 2022, Algorithm 1: running row max m, running sum l, output rescaled by exp(m_old - m_new)) and never holds more
// than one kQueryTile x kKeyTile block of scores.
#include "model/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mxlab::model {
namespace {

constexpr int kQueryTile = 64, kKeyTile = 256;

// Per kv head: K (S x hs, quantized in attn_scores' blocks along hs) and V (S x hs).
struct KvHeads {
  std::vector<Matrix> k, v;
};
KvHeads split_kv(const Eigen::Ref<const Matrix>& keys, const Eigen::Ref<const Matrix>& values, const ModelConfig& c,
                 const QuantScheme& scheme, std::uint64_t stream) {
  const int hs = c.head_size;
  KvHeads kv{std::vector<Matrix>(c.n_kv_heads), std::vector<Matrix>(c.n_kv_heads)};
  for (int g = 0; g < c.n_kv_heads; ++g) {
    kv.k[g] = keys.middleCols(g * hs, hs);
    kv.v[g] = values.middleCols(g * hs, hs);
    quantize_rows(scheme.attn_scores, kv.k[g], stream * 1024 + 4 * g);  // a stream per operand and head
  }
  return kv;
}

// Query head h (hs columns of q), quantized in attn_scores' blocks along hs.
Matrix query_head(const Matrix& q, int h, int hs, const QuantScheme& scheme, std::uint64_t stream) {
  Matrix qh = q.middleCols(h * hs, hs);
  quantize_rows(scheme.attn_scores, qh, stream * 1024 + 4 * h + 2);
  return qh;
}

}  // namespace

Matrix causal_attention_reference(const Matrix& q, const Eigen::Ref<const Matrix>& keys,
                                  const Eigen::Ref<const Matrix>& values, const ModelConfig& c, int pos0,
                                  const QuantScheme& scheme, std::uint64_t stream) {
  const int T = static_cast<int>(q.rows()), S = static_cast<int>(keys.rows()), hs = c.head_size;
  const int group = c.n_heads / c.n_kv_heads;
  const KvHeads kv = split_kv(keys, values, c, scheme, stream);
  std::vector<Matrix> vt(c.n_kv_heads);  // V^T (hs x S): blocks along positions for P V
  for (int g = 0; g < c.n_kv_heads; ++g) {
    vt[g] = kv.v[g].transpose();
    quantize_rows(scheme.attn_values, vt[g], stream * 1024 + 4 * g + 1);
  }
  Matrix out(T, c.q_dim());
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
#pragma omp parallel for schedule(dynamic, 1) if (c.n_heads > 1 && T > 1)
  for (int h = 0; h < c.n_heads; ++h) {
    const int g = h / group;
    const Matrix qh = query_head(q, h, hs, scheme, stream);
    Matrix p(T, S);
    p.noalias() = qh * kv.k[g].transpose();
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

Matrix causal_attention(const Matrix& q, const Eigen::Ref<const Matrix>& keys, const Eigen::Ref<const Matrix>& values,
                        const ModelConfig& c, int pos0, const QuantScheme& scheme, std::uint64_t stream) {
  // A quantized P (attn_values) has blocks along whole normalized rows: only the full matrix gives them.
  if (scheme.attn_values.enabled()) return causal_attention_reference(q, keys, values, c, pos0, scheme, stream);
  const int T = static_cast<int>(q.rows()), hs = c.head_size, group = c.n_heads / c.n_kv_heads;
  const KvHeads kv = split_kv(keys, values, c, scheme, stream);
  Matrix out(T, c.q_dim());
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
#pragma omp parallel for schedule(dynamic, 1) if (c.n_heads > 1 && T > 1)
  for (int h = 0; h < c.n_heads; ++h) {
    const int g = h / group;
    const Matrix qh = query_head(q, h, hs, scheme, stream);
    Matrix s, acc;
    Eigen::VectorXf m, l;
    for (int t0 = 0; t0 < T; t0 += kQueryTile) {
      const int tn = std::min(kQueryTile, T - t0), keys_end = pos0 + t0 + tn;  // keys any row of the tile sees
      m = Eigen::VectorXf::Constant(tn, kNegInf), l = Eigen::VectorXf::Zero(tn), acc = Matrix::Zero(tn, hs);
      for (int j0 = 0; j0 < keys_end; j0 += kKeyTile) {
        const int jn = std::min(kKeyTile, keys_end - j0);
        s.noalias() = qh.middleRows(t0, tn) * kv.k[g].middleRows(j0, jn).transpose();
        for (int t = 0; t < tn; ++t) {
          const int visible = std::clamp(pos0 + t0 + t + 1 - j0, 0, jn);  // causal mask inside this tile
          if (visible == 0) {
            s.row(t).setZero();
            continue;
          }
          auto row = s.row(t).head(visible).array();
          row *= scale;
          const float m_new = std::max(m[t], row.maxCoeff());
          const float alpha = std::exp(m[t] - m_new);  // 0 on the first visible tile (m = -inf)
          row = (row - m_new).exp();
          s.row(t).tail(jn - visible).setZero();
          l[t] = l[t] * alpha + row.sum();
          acc.row(t) *= alpha;
          m[t] = m_new;
        }
        acc.noalias() += s * kv.v[g].middleRows(j0, jn);
      }
      out.block(t0, h * hs, tn, hs) = (acc.array().colwise() / l.array()).matrix();
    }
  }
  return out;
}

}  // namespace mxlab::model
