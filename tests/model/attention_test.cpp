// Tiled online-softmax attention against the full-score-matrix reference: several lengths, GQA ratios, a KV cache.
#include <gtest/gtest.h>

#include <random>

#include "model/attention.hpp"

namespace mxlab::model {
namespace {

Matrix random_matrix(int rows, int cols, std::mt19937& rng, float stddev) {
  std::normal_distribution<float> n(0.f, stddev);
  Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = n(rng);
  return m;
}

// Bound: every output is a convex combination of V's rows; the tiled path differs from the reference only in the
// order of the softmax sum, the rescaling by exp(m_old - m_new) (one per key tile), and the final division, each
// a few roundings of relative size 2^-24 per key tile. We assert |tiled - reference| <= 2^-24 * (16 + 8 * key tiles)
// * max|V| (S <= 600: at most 40 * 2^-24 * max|V| ~ 2.4e-6 * max|V|); measured at most 11 (one tile) and 16.3
// (three tiles) * 2^-24 * max|V| over these cases.
void expect_close(int n_heads, int n_kv_heads, int hs, int pos0, int T, unsigned seed) {
  ModelConfig c;
  c.n_heads = n_heads, c.n_kv_heads = n_kv_heads, c.head_size = hs, c.dim = n_heads * hs;
  std::mt19937 rng(seed);
  const int S = pos0 + T;
  const Matrix q = random_matrix(T, c.q_dim(), rng, 2.f);  // sharp softmax rows: large score range
  const Matrix k = random_matrix(S, c.kv_dim(), rng, 2.f), v = random_matrix(S, c.kv_dim(), rng, 1.f);
  const QuantScheme none;
  const Matrix ref = causal_attention_reference(q, k, v, c, pos0, none);
  const Matrix tiled = causal_attention(q, k, v, c, pos0, none);
  const int key_tiles = (S + 255) / 256;
  const double bound = std::ldexp(16.0 + 8.0 * key_tiles, -24) * v.cwiseAbs().maxCoeff();
  const double err = (tiled - ref).cwiseAbs().maxCoeff();
  EXPECT_LE(err, bound) << "heads " << n_heads << "/" << n_kv_heads << " hs " << hs << " pos0 " << pos0 << " T " << T;
}

TEST(TiledAttention, EqualsReferenceToFloatRounding) {
  for (int T : {1, 2, 63, 64, 65, 200, 300, 600})
    for (auto [h, kv] : {std::pair{8, 8}, {8, 4}, {8, 2}, {8, 1}}) expect_close(h, kv, 16, 0, T, 11u * T + kv);
  expect_close(4, 4, 64, 0, 130, 3);  // Llama head size
}

TEST(TiledAttention, WithKvCacheEqualsReference) {
  for (auto [pos0, T] : {std::pair{1, 1}, {100, 37}, {255, 1}, {256, 1}, {300, 70}, {511, 1}})
    for (auto [h, kv] : {std::pair{8, 4}, {6, 2}}) expect_close(h, kv, 16, pos0, T, 7u * pos0 + T);
}

TEST(TiledAttention, QuantizedProbabilitiesUseTheReference) {
  ModelConfig c;
  c.n_heads = 4, c.n_kv_heads = 2, c.head_size = 32, c.dim = 128;
  std::mt19937 rng(5);
  const Matrix q = random_matrix(50, 128, rng, 1.f), k = random_matrix(50, 64, rng, 1.f), v = random_matrix(50, 64, rng, 1.f);
  QuantScheme s;
  s.attn_values = TensorQuant::parse("mxfp8_e4m3", 0);
  s.attn_scores = TensorQuant::parse("mxfp8_e4m3", 0);
  EXPECT_EQ(causal_attention(q, k, v, c, 0, s), causal_attention_reference(q, k, v, c, 0, s));
  QuantScheme scores_only;  // quantized Q and K only: the tiled path, still within rounding of the reference
  scores_only.attn_scores = s.attn_scores;
  EXPECT_LE((causal_attention(q, k, v, c, 0, scores_only) - causal_attention_reference(q, k, v, c, 0, scores_only))
                .cwiseAbs()
                .maxCoeff(),
            1e-6 * v.cwiseAbs().maxCoeff());
}

}  // namespace
}  // namespace mxlab::model
