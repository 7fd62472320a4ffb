// The batched forward pass against a plain-loop, token-by-token llama2.c run.c implementation with a KV cache.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/runtime.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

// llama2.c run.c forward(), transcribed with plain loops (plus optional q/k/v biases).
class ReferenceModel {
 public:
  explicit ReferenceModel(const ModelWeights& w) : w_(w), c_(w.config) {
    kc_.assign(c_.n_layers, std::vector<float>(c_.seq_len * c_.kv_dim()));
    vc_.assign(c_.n_layers, std::vector<float>(c_.seq_len * c_.kv_dim()));
  }

  std::vector<float> forward(int token, int pos) {
    const int dim = c_.dim, hs = c_.head_size, kv_dim = c_.kv_dim(), kv_mul = c_.n_heads / c_.n_kv_heads;
    std::vector<float> x(dim), xb(dim), xb2(dim), q(c_.q_dim()), att(c_.q_dim()), hb(c_.hidden_dim), hb2(c_.hidden_dim);
    for (int i = 0; i < dim; ++i) x[i] = w_.token_embedding(token, i);
    for (int l = 0; l < c_.n_layers; ++l) {
      const LayerWeights& L = w_.layers[l];
      rmsnorm(xb, x, L.rms_att);
      float* k = &kc_[l][pos * kv_dim];
      float* v = &vc_[l][pos * kv_dim];
      matmul(q.data(), xb.data(), L.q);
      matmul(k, xb.data(), L.k);
      matmul(v, xb.data(), L.v);
      for (int i = 0; i < c_.q_dim(); i += 2) {
        const int head_dim = i % hs;
        const float freq = 1.0f / std::pow(c_.rope_theta, head_dim / static_cast<float>(hs));
        const float val = pos * freq, fcr = std::cos(val), fci = std::sin(val);
        const int rotn = i < kv_dim ? 2 : 1;
        for (int r = 0; r < rotn; ++r) {
          float* vec = r == 0 ? q.data() : k;
          const float v0 = vec[i], v1 = vec[i + 1];
          vec[i] = v0 * fcr - v1 * fci;
          vec[i + 1] = v0 * fci + v1 * fcr;
        }
      }
      for (int h = 0; h < c_.n_heads; ++h) {
        const float* qh = &q[h * hs];
        std::vector<float> a(pos + 1);
        for (int t = 0; t <= pos; ++t) {
          const float* kt = &kc_[l][t * kv_dim + (h / kv_mul) * hs];
          float score = 0.f;
          for (int i = 0; i < hs; ++i) score += qh[i] * kt[i];
          a[t] = score / std::sqrt(static_cast<float>(hs));
        }
        softmax(a);
        for (int i = 0; i < hs; ++i) att[h * hs + i] = 0.f;
        for (int t = 0; t <= pos; ++t) {
          const float* vt = &vc_[l][t * kv_dim + (h / kv_mul) * hs];
          for (int i = 0; i < hs; ++i) att[h * hs + i] += a[t] * vt[i];
        }
      }
      matmul(xb2.data(), att.data(), L.o);
      for (int i = 0; i < dim; ++i) x[i] += xb2[i];
      rmsnorm(xb, x, L.rms_ffn);
      matmul(hb.data(), xb.data(), L.gate);
      matmul(hb2.data(), xb.data(), L.up);
      for (int i = 0; i < c_.hidden_dim; ++i) hb[i] = hb[i] * (1.0f / (1.0f + std::exp(-hb[i]))) * hb2[i];
      matmul(xb.data(), hb.data(), L.down);
      for (int i = 0; i < dim; ++i) x[i] += xb[i];
    }
    rmsnorm(xb, x, w_.rms_final);
    std::vector<float> logits(c_.vocab_size);
    matmul(logits.data(), xb.data(), w_.classifier);
    return logits;
  }

 private:
  void rmsnorm(std::vector<float>& o, const std::vector<float>& x, const Vector& weight) const {
    float ss = 0.f;
    for (float v : x) ss += v * v;
    ss = 1.0f / std::sqrt(ss / x.size() + c_.norm_eps);
    for (std::size_t j = 0; j < x.size(); ++j) o[j] = weight[j] * (ss * x[j]);
  }
  static void matmul(float* out, const float* x, const Linear& lin) {  // W (d,n) @ x (n,) -> (d,)
    for (int i = 0; i < lin.out(); ++i) {
      float val = lin.bias.size() ? lin.bias[i] : 0.f;
      for (int j = 0; j < lin.in(); ++j) val += lin.weight(i, j) * x[j];
      out[i] = val;
    }
  }
  static void softmax(std::vector<float>& x) {
    const float mx = *std::max_element(x.begin(), x.end());
    float sum = 0.f;
    for (float& v : x) sum += (v = std::exp(v - mx));
    for (float& v : x) v /= sum;
  }
  const ModelWeights& w_;
  const ModelConfig& c_;
  std::vector<std::vector<float>> kc_, vc_;
};

std::vector<int> random_tokens(int n, int vocab, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int> t(n);
  for (int& v : t) v = static_cast<int>(rng() % vocab);
  return t;
}

// Max |a - b| relative to max |b| over all logits of all positions.
double compare_to_reference(const ModelWeights& w, const Matrix& logits, const std::vector<int>& tokens) {
  ReferenceModel ref(w);
  double max_err = 0, max_ref = 0;
  for (int t = 0; t < static_cast<int>(tokens.size()); ++t) {
    const std::vector<float> r = ref.forward(tokens[t], t);
    for (int i = 0; i < w.config.vocab_size; ++i) {
      max_err = std::max(max_err, std::abs(double(logits(t, i)) - r[i]));
      max_ref = std::max(max_ref, std::abs(double(r[i])));
    }
  }
  return max_err / max_ref;
}

struct Case {
  const char* name;
  int heads, kv_heads;
  bool shared, bias;
};

class ForwardVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(ForwardVsReference, BatchedWindowEqualsTokenByToken) {
  const Case& k = GetParam();
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(k.heads, k.kv_heads, k.shared), 7));
  if (k.bias) {
    std::mt19937 rng(3);
    std::normal_distribution<float> n(0.f, 0.3f);
    for (LayerWeights& L : w->layers)
      for (Linear* lin : {&L.q, &L.k, &L.v}) {
        lin->bias = Vector(lin->out());
        for (auto& b : lin->bias) b = n(rng);
      }
  }
  const auto tokens = random_tokens(w->config.seq_len, w->config.vocab_size, 11);
  Runtime rt(w);
  const Matrix logits = rt.forward(tokens);
  ASSERT_EQ(logits.rows(), w->config.seq_len);
  ASSERT_EQ(logits.cols(), w->config.vocab_size);
  EXPECT_LT(compare_to_reference(*w, logits, tokens), 2e-5);
}

INSTANTIATE_TEST_SUITE_P(Shapes, ForwardVsReference,
                         ::testing::Values(Case{"mha_shared", 4, 4, true, false}, Case{"gqa_separate", 4, 2, false, false},
                                           Case{"mqa_shared", 4, 1, true, false}, Case{"gqa_bias", 8, 2, false, true}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Forward, ReferenceDetectsAWrongModel) {
  // The comparison must be able to fail: perturb one weight after computing the logits.
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, false), 5));
  const auto tokens = random_tokens(16, w->config.vocab_size, 2);
  Runtime rt(w);
  const Matrix logits = rt.forward(tokens);
  w->layers[1].k.weight(3, 4) += 0.5f;
  EXPECT_GT(compare_to_reference(*w, logits, tokens), 1e-3);
}

TEST(Forward, KvCacheChunksEqualOneWindow) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true), 9));
  const auto tokens = random_tokens(30, w->config.vocab_size, 4);
  Runtime rt(w);
  const Matrix whole = rt.forward(tokens);
  KVCache cache(w->config, 30);
  ForwardOptions opt;
  opt.cache = &cache;
  const std::span<const int> all(tokens);
  const Matrix a = rt.forward(all.subspan(0, 13), opt);
  const Matrix b = rt.forward(all.subspan(13, 1), opt);
  const Matrix c = rt.forward(all.subspan(14), opt);
  EXPECT_EQ(cache.length, 30);
  Matrix chunks(30, whole.cols());
  chunks << a, b, c;
  EXPECT_LT((chunks - whole).cwiseAbs().maxCoeff(), 1e-4f * whole.cwiseAbs().maxCoeff());
}

TEST(Forward, RejectsBadTokensAndPositions) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 4, true), 1));
  Runtime rt(w);
  const std::vector<int> bad = {1, 67};
  EXPECT_THROW(rt.forward(bad), std::out_of_range);
  const std::vector<int> too_long(w->config.seq_len + 1, 3);
  EXPECT_THROW(rt.forward(too_long), std::out_of_range);
}

TEST(Forward, PartialDepthReturnsResidualStream) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true), 1));
  Runtime rt(w);
  const auto tokens = random_tokens(8, w->config.vocab_size, 1);
  ForwardOptions opt;
  opt.n_layers = 0;
  const Matrix x0 = rt.forward(tokens, opt);
  ASSERT_EQ(x0.cols(), w->config.dim);
  for (int t = 0; t < 8; ++t) EXPECT_EQ(x0.row(t), w->token_embedding.row(tokens[t]));
  opt.n_layers = 1;
  EXPECT_GT((rt.forward(tokens, opt) - x0).cwiseAbs().maxCoeff(), 0.f);
}

}  // namespace
}  // namespace mxlab::model
