// Quantization hooks: exact formats change nothing, hooks apply fake_quantize per row along K, overrides work.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "model/runtime.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

const std::vector<int> kTokens = {1, 5, 9, 30, 2, 66, 12, 40, 41, 7, 8, 3, 60, 61, 62, 13, 14, 15, 0, 1};

// Weights on the grid k/64, |k| <= 127, with a value of magnitude >= 1 in every 32-block: MXINT8 (k/64 with
// shared exponent 0) and INT8 per group of 32 (scale amax/127 = 1/64) represent them exactly.
std::shared_ptr<ModelWeights> grid_model(unsigned seed) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, false, 64), seed));
  std::mt19937 rng(seed);
  for (LinearId id : w->linear_ids()) {
    Matrix& m = w->linear(id).weight;
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<float>(int(rng() % 255) - 127) / 64.f;
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      for (Eigen::Index c = 0; c < m.cols(); c += 32) m(r, c) = 127.f / 64.f;
  }
  return w;
}

TEST(QuantHooks, EnabledWithoutFormatIsBitIdentical) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true), 2));
  QuantScheme none;
  none.quantize_classifier = true;
  none.overrides["layers.1.q"] = LinearQuant{};
  EXPECT_FALSE(none.any());
  EXPECT_EQ(Runtime(w).forward(kTokens), Runtime(w, none).forward(kTokens));
}

TEST(QuantHooks, ExactWeightFormatsChangeNothingAndInexactOnesDo) {
  auto w = grid_model(5);
  const Matrix ref = Runtime(w).forward(kTokens);
  for (const char* exact : {"mxint8", "int8"}) {
    QuantScheme s;
    s.linear.weight = TensorQuant::parse(exact, 32);
    s.quantize_classifier = true;
    EXPECT_EQ(Runtime(w, s).forward(kTokens), ref) << exact;
  }
  QuantScheme s4;
  s4.linear.weight = TensorQuant::parse("mxint4");
  EXPECT_GT((Runtime(w, s4).forward(kTokens) - ref).cwiseAbs().maxCoeff(), 1e-3f);
  QuantScheme a8;
  a8.linear.input = TensorQuant::parse("mxfp8_e4m3");
  EXPECT_GT((Runtime(w, a8).forward(kTokens) - ref).cwiseAbs().maxCoeff(), 1e-4f);
}

TEST(QuantHooks, LinearQuantizesWeightRowsAndInputRowsAlongK) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true, 64), 8));
  QuantScheme s;
  s.linear.weight = TensorQuant::parse("mxfp4_e2m1");
  s.linear.input = TensorQuant::parse("int4", 16);
  s.linear.output = TensorQuant::parse("mxint8");
  Runtime rt(w, s);
  const LinearId id{1, LinearKind::down};  // in = hidden_dim = 182: rows end in a partial block
  const Matrix& W = w->linear(id).weight;
  Matrix wq = W, x = Matrix::Random(5, W.cols()), xq = x;
  for (Eigen::Index r = 0; r < W.rows(); ++r) {
    std::span<float> row(wq.row(r).data(), W.cols());
    fake_quantize(Format::mxfp4_e2m1, row, row);
  }
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    std::span<float> row(xq.row(r).data(), x.cols());
    QuantConfig cfg;
    cfg.block = 16;
    fake_quantize(Format::int4, row, row, cfg);
  }
  EXPECT_EQ(rt.effective_weight(id), wq);
  Matrix expect = xq * wq.transpose();
  for (Eigen::Index r = 0; r < expect.rows(); ++r) {
    std::span<float> row(expect.row(r).data(), expect.cols());
    fake_quantize(Format::mxint8, row, row);
  }
  EXPECT_LT((rt.linear(id, x) - expect).cwiseAbs().maxCoeff(), 1e-5f);
  // The classifier is left alone unless asked for.
  EXPECT_EQ(rt.effective_weight({}), w->classifier.weight);
}

TEST(QuantHooks, PerLayerOverrideAndCacheInvalidation) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true, 64), 8));
  QuantScheme s;
  s.linear.weight = TensorQuant::parse("mxint4");
  s.overrides["layers.0.gate"] = LinearQuant{};
  Runtime rt(w, s);
  EXPECT_EQ(rt.effective_weight({0, LinearKind::gate}), w->layers[0].gate.weight);
  EXPECT_NE(rt.effective_weight({0, LinearKind::up}), w->layers[0].up.weight);
  const Matrix before = rt.effective_weight({1, LinearKind::q});
  w->layers[1].q.weight *= 2.f;  // a PTQ algorithm editing weights
  EXPECT_EQ(rt.effective_weight({1, LinearKind::q}), before);  // cached
  rt.clear_weight_cache();
  EXPECT_EQ(rt.effective_weight({1, LinearKind::q}), 2.f * before);  // MX scaling by 2 is exact
}

TEST(QuantHooks, KvCacheAndAttentionOperandHooksTakeEffect) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true, 64), 3));
  const Matrix ref = Runtime(w).forward(kTokens);
  for (int which = 0; which < 3; ++which) {
    QuantScheme s;
    (which == 0 ? s.kv_cache : which == 1 ? s.attn_scores : s.attn_values) = TensorQuant::parse("mxint4");
    EXPECT_GT((Runtime(w, s).forward(kTokens) - ref).cwiseAbs().maxCoeff(), 1e-4f) << which;
  }
}

TEST(QuantHooks, BadFormatNamesAndBlocksThrow) {
  EXPECT_THROW(TensorQuant::parse("mxint5"), std::invalid_argument);
  EXPECT_THROW(TensorQuant::parse("mxint8", -3), std::invalid_argument);
  EXPECT_FALSE(TensorQuant::parse("none").enabled());
  EXPECT_EQ(TensorQuant::parse("nvfp4").describe(), "nvfp4/16");
  EXPECT_EQ(parse_linear_id("layers.12.down"), (LinearId{12, LinearKind::down}));
  EXPECT_EQ(linear_name(parse_linear_id("classifier")), "classifier");
  EXPECT_THROW(parse_linear_id("layers.x.q"), std::invalid_argument);
}

// nvfp4's tensor scale is one per matrix (NVIDIA's recipe): quantize_rows equals fake_quantize of the whole matrix
// as one flat tensor (rows are whole blocks here), and differs from scaling each row by its own amax.
TEST(QuantHooks, Nvfp4TensorScaleIsOnePerMatrix) {
  TensorQuant q = TensorQuant::parse("nvfp4");
  q.cfg.tensor_scale = true;
  EXPECT_EQ(q.describe(), "nvfp4/16+tensor-scale");
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  Matrix m(3, 32);
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c) m(r, c) = nd(rng) * (r == 0 ? 100.0f : r == 1 ? 1.0f : 0.003f);
  Matrix whole = m, per_row = m;
  quantize_rows(q, m);
  const QuantConfig cfg = q.config(32);
  fake_quantize(Format::nvfp4, {whole.data(), 96}, {whole.data(), 96}, cfg);
  EXPECT_EQ(m, whole);
  for (Eigen::Index r = 0; r < per_row.rows(); ++r) {  // the rejected rule: each row its own tensor scale
    QuantConfig rc = cfg;
    rc.index_base = static_cast<std::size_t>(r) * 32;
    fake_quantize(Format::nvfp4, {per_row.row(r).data(), 32}, {per_row.row(r).data(), 32}, rc);
  }
  EXPECT_NE(m.row(2), per_row.row(2));
  EXPECT_THROW(fake_quantize(Format::nvfp4, {whole.data(), 96}, {whole.data(), 96}, {.tensor_scale_value = 0.5f}),
               std::invalid_argument);
  EXPECT_THROW(fake_quantize(Format::nvfp4, {whole.data(), 96}, {whole.data(), 96},
                             {.tensor_scale = true, .tensor_scale_value = -1.0f}),
               std::invalid_argument);
}

// Stochastic rounding draws independent bits per tensor: the same values in two streams round differently,
// the same stream reproduces itself, and every (layer, kind, slot, call) has its own stream.
TEST(QuantHooks, StochasticStreamsAreIndependentPerTensor) {
  TensorQuant q = TensorQuant::parse("mxint4");
  q.cfg.round = Round::stochastic;
  Matrix a = Matrix::Constant(4, 64, 0.3f), b = a, c = a;
  a(0, 0) = b(0, 0) = c(0, 0) = 1.5f;  // fixes the block scale; 0.3 then sits between two grid points
  quantize_rows(q, a, quant_stream({0, LinearKind::q}, 1, 0));
  quantize_rows(q, b, quant_stream({1, LinearKind::q}, 1, 0));
  quantize_rows(q, c, quant_stream({0, LinearKind::q}, 1, 0));
  EXPECT_NE(a, b);
  EXPECT_EQ(a, c);
  std::set<std::uint64_t> streams;
  for (int layer = -1; layer < 8; ++layer)
    for (LinearKind k : {LinearKind::q, LinearKind::k, LinearKind::v, LinearKind::o, LinearKind::gate, LinearKind::up,
                         LinearKind::down, LinearKind::classifier})
      for (int slot = 0; slot < 5; ++slot)
        for (std::uint64_t call = 0; call < 3; ++call) streams.insert(quant_stream({layer, k}, slot, call));
  EXPECT_EQ(streams.size(), 9u * 8 * 5 * 3);
}

}  // namespace
}  // namespace mxlab::model
