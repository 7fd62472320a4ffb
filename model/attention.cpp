// Causal grouped-query attention (llama2.c run.c multihead attention): the reference builds each head's masked
// T x S score matrix; the default path tiles queries and keys with an online softmax (FlashAttention, Dao et al.
// 2022, Algorithm 1: running row max m, running sum l, output rescaled by exp(m_old - m_new)) and never holds more
// than one (query heads per kv head x kQueryTile) x kKeyTile block of scores per thread.
#include "model/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mxlab::model {
namespace {

constexpr int kQueryTile = 16, kKeyTile = 512;

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

// x[i] = exp(x[i] - m) for i < n, returning their sum: one pass, Eigen's vectorized exp (the same as ArrayXf::exp).
float exp_shifted_sum(float* x, int n, float m) {
  using namespace Eigen::internal;
  using P = packet_traits<float>::type;
  constexpr int w = packet_traits<float>::size;
  const P pm = pset1<P>(m);
  P acc = pset1<P>(0.0f);
  int i = 0;
  for (; i + w <= n; i += w) {
    const P e = pexp(psub(ploadu<P>(x + i), pm));
    pstoreu(x + i, e);
    acc = padd(acc, e);
  }
  float sum = predux(acc);
  for (; i < n; ++i) sum += (x[i] = std::exp(x[i] - m));
  return sum;
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
  Matrix quantized_q;  // Q with each head quantized in attn_scores' blocks (as the reference does), else q itself
  if (scheme.attn_scores.enabled()) {
    quantized_q.resize(T, c.q_dim());
    for (int h = 0; h < c.n_heads; ++h) quantized_q.middleCols(h * hs, hs) = query_head(q, h, hs, scheme, stream);
  }
  const Matrix& qsrc = scheme.attn_scores.enabled() ? quantized_q : q;
  Matrix out(T, c.q_dim());
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  // One job: a tile of kQueryTile positions for all `group` query heads reading kv head g, stacked as group * tn rows
  // (head i's rows at i * tn), so the score and value products are GEMMs of group * tn rows that read each K/V tile
  // once. Jobs with the most keys (last query tiles) first.
  const int query_tiles = (T + kQueryTile - 1) / kQueryTile, jobs = query_tiles * c.n_kv_heads;
#pragma omp parallel for schedule(dynamic, 1) if (jobs > 1)
  for (int job = 0; job < jobs; ++job) {
    const int g = job % c.n_kv_heads, t0 = (query_tiles - 1 - job / c.n_kv_heads) * kQueryTile;
    const int tn = std::min(kQueryTile, T - t0), rows = group * tn, keys_end = pos0 + t0 + tn;
    Matrix qs(rows, hs), s, acc = Matrix::Zero(rows, hs);
    for (int i = 0; i < group; ++i)  // 1/sqrt(hs) folded into Q (exact for power-of-4 head sizes)
      qs.middleRows(i * tn, tn) = qsrc.block(t0, (g * group + i) * hs, tn, hs) * scale;
    Eigen::VectorXf m = Eigen::VectorXf::Constant(rows, -std::numeric_limits<float>::infinity());
    Eigen::VectorXf l = Eigen::VectorXf::Zero(rows);
    for (int j0 = 0; j0 < keys_end; j0 += kKeyTile) {
      const int jn = std::min(kKeyTile, keys_end - j0);
      s.noalias() = qs * kv.k[g].middleRows(j0, jn).transpose();
      for (int r = 0; r < rows; ++r) {
        const int visible = std::clamp(pos0 + t0 + r % tn + 1 - j0, 0, jn);  // causal mask inside this tile
        float* sr = s.row(r).data();
        std::fill(sr + visible, sr + jn, 0.0f);
        if (visible == 0) continue;
        const float m_new = std::max(m[r], Eigen::Map<Eigen::ArrayXf>(sr, visible).maxCoeff());
        const float alpha = std::exp(m[r] - m_new);  // 0 on the first visible tile (m = -inf)
        l[r] = l[r] * alpha + exp_shifted_sum(sr, visible, m_new);
        if (alpha != 1.0f) acc.row(r) *= alpha;
        m[r] = m_new;
      }
      acc.noalias() += s * kv.v[g].middleRows(j0, jn);
    }
    for (int i = 0; i < group; ++i)
      out.block(t0, (g * group + i) * hs, tn, hs) =
          (acc.middleRows(i * tn, tn).array().colwise() / l.segment(i * tn, tn).array()).matrix();
  }
  return out;
}

}  // namespace mxlab::model
