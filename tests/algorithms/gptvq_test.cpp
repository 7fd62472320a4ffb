// GPTVQ: weighted k-means EM never increases the weighted distortion; the column loop outputs codewords of INT8
// codebooks with exact storage bits; exact on data the codebooks can represent; the pipeline step.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "algorithms/gptvq.hpp"
#include "algorithms/ptq.hpp"
#include "algorithms/weight_scales.hpp"
#include "formats/packed.hpp"
#include "formats/vq_kmeans.hpp"
#include "tiny_model.hpp"

namespace mxlab::algorithms {
namespace {

Eigen::MatrixXd random_hessian(Eigen::Index n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  Eigen::MatrixXd x(4 * n, n);
  for (Eigen::Index i = 0; i < x.size(); ++i) x(i) = g(rng) * (1 + (i % n) % 5);
  return 2.0 * x.transpose() * x / static_cast<double>(x.rows());
}

Matrix random_weight(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 0.05f);
  Matrix w(rows, cols);
  for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = g(rng);
  return w;
}

TEST(GptvqKmeans, EmNeverIncreasesTheWeightedDistortion) {
  for (int dim : {1, 2, 4})
    for (unsigned seed = 0; seed < 6; ++seed) {
      std::mt19937 rng(seed * 7 + static_cast<unsigned>(dim));
      std::normal_distribution<double> g;
      std::exponential_distribution<double> e(1.0);
      const std::size_t n = 400, k = dim == 4 ? 16 : 16;
      std::vector<double> x(n * dim), h(n * dim);
      for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = g(rng) + (i / dim % 3 == 0 ? 4.0 : 0.0);  // a mixture, so clusters move
        h[i] = i % 11 == 0 ? 0.0 : e(rng);               // some coordinates without weight
      }
      const KmeansResult r = weighted_kmeans(x, h, dim, k, 100, seed);
      ASSERT_GE(r.iterations, 2) << "dim " << dim << " seed " << seed;
      ASSERT_EQ(r.distortion.size(), 1 + 2 * static_cast<std::size_t>(r.iterations));
      for (std::size_t i = 1; i < r.distortion.size(); ++i)
        EXPECT_LE(r.distortion[i], r.distortion[i - 1] * (1 + 1e-12)) << "dim " << dim << " seed " << seed << " step " << i;
      EXPECT_DOUBLE_EQ(r.distortion.back(), weighted_distortion(x, h, dim, r.centroids, r.assign));
      EXPECT_LT(r.distortion.back(), r.distortion.front());
    }
}

TEST(GptvqKmeans, FixedPointIsTheWeightedMeanAndNearestAssignment) {
  std::mt19937 rng(5);
  std::normal_distribution<double> g;
  std::vector<double> x(600), h(600);
  for (std::size_t i = 0; i < x.size(); ++i) { x[i] = g(rng); h[i] = 0.5 + (i % 7); }
  const KmeansResult r = weighted_kmeans(x, h, 2, 8, 1000, 1);
  std::vector<double> num(16, 0), den(16, 0);
  for (std::size_t i = 0; i < r.assign.size(); ++i)
    for (int d = 0; d < 2; ++d) { num[r.assign[i] * 2 + d] += h[2 * i + d] * x[2 * i + d]; den[r.assign[i] * 2 + d] += h[2 * i + d]; }
  for (std::size_t c = 0; c < 16; ++c) {
    if (den[c] == 0) continue;
    EXPECT_NEAR(r.centroids[c], num[c] / den[c], 1e-12);
  }
}

TEST(Gptvq, OutputsCodewordsOfInt8CodebooksWithExactBits) {
  const Matrix w = random_weight(24, 48, 1);
  for (const auto& [dim, bits] : {std::pair{2, 2}, std::pair{4, 1}, std::pair{1, 3}}) {
    GptvqOptions o;
    o.dim = dim; o.bits = bits; o.group = 256; o.columns = 16; o.iters = 50;
    const GptvqResult r = gptvq_quantize(w, random_hessian(48, 2), o);
    ASSERT_EQ(r.cols_per_group, 16);
    ASSERT_EQ(r.rows_per_group, 16);
    ASSERT_EQ(r.codebooks.size(), 6u);  // 2 row blocks (16 + 8) x 3 column blocks
    for (Eigen::Index i = 0; i < 24; ++i)
      for (Eigen::Index j = 0; j < 48; ++j) {
        const VqCodebook& cb = r.codebooks[static_cast<std::size_t>((i / 16) * 3 + j / 16)];
        EXPECT_EQ(cb.storage(), VqStorage::int8);
        EXPECT_EQ(r.weight(i, j), cb.codewords()[r.indices[static_cast<std::size_t>(i * (48 / dim) + j / dim)] * dim + j % dim]);
      }
    const std::uint64_t book_bits = (std::uint64_t{1} << (bits * dim)) * dim * 8 + 32;
    EXPECT_EQ(r.bits, 24u * 48 * bits + 6 * book_bits) << "dim " << dim;
    EXPECT_LE(r.error_after_update, r.error_before_update);
    EXPECT_GT(r.loss, 0);
  }
}

TEST(Gptvq, ExactWhenTheCodebookHoldsEveryValue) {
  const float s = 1.0f / 64;  // 127 s, -50 s, 3 s are INT8 codebook values with scale max|c| / 127 = s exactly
  const float vals[] = {-127 * s, -50 * s, 3 * s, 127 * s};
  Matrix w(16, 32);
  std::mt19937 rng(3);
  for (Eigen::Index i = 0; i < w.size(); ++i) w(i) = vals[rng() % 4];
  GptvqOptions o;
  o.dim = 1; o.bits = 2; o.group = 512; o.columns = 32;
  o.percdamp = 0;  // H = I: h = 1, so the weighted means of equal values are exact
  const GptvqResult r = gptvq_quantize(w, Eigen::MatrixXd::Identity(32, 32), o);
  EXPECT_EQ(r.codebooks.size(), 1u);
  EXPECT_EQ(r.loss, 0.0);
  EXPECT_TRUE(r.weight == w);
}

TEST(Gptvq, RejectsBadShapesAndOptions) {
  const Matrix w = random_weight(4, 6, 1);
  GptvqOptions o;
  o.dim = 4;
  EXPECT_THROW(gptvq_quantize(w, random_hessian(6, 1), o), std::invalid_argument);  // 6 inputs, D = 4
  o.dim = 2; o.bits = 9;
  EXPECT_THROW(gptvq_quantize(w, random_hessian(6, 1), o), std::invalid_argument);  // K = 2^18
  EXPECT_THROW(make_algorithm("gptvq:dim=3"), std::invalid_argument);
  EXPECT_THROW(make_algorithm("gptvq:codebook=int4"), std::invalid_argument);
  EXPECT_THROW(make_algorithm("gptvq:foo=1"), std::invalid_argument);
}

// A PTQ context on the tiny model (calibration: 4 windows of 32 random tokens) with weights in `weights`.
PtqContext tiny_context(const model::TensorQuant& weights) {
  PtqContext ctx;
  ctx.weights = std::make_shared<model::ModelWeights>(*test::tiny_model());
  ctx.calib = test::random_tokens(4 * 32, 3);
  ctx.ctx = 32;
  ctx.scheme.linear.weight = weights;
  return ctx;
}

TEST(Gptvq, PipelineQuantizesEveryLinearToCodewords) {
  PtqContext ctx = tiny_context(model::TensorQuant::parse("int4"));
  const auto w = ctx.weights;
  run_pipeline("gptvq:dim=2:bits=2:iters=20:group=512", ctx);
  EXPECT_EQ(ctx.scales.size(), ctx.quantized_linears().size());
  // 2-bit D=2 VQ with one codebook per <= 512 weights: each row of q holds at most 16 x (codebooks) pairs.
  const Matrix& q = w->linear({0, model::LinearKind::q}).weight;
  std::set<std::pair<float, float>> pairs;
  for (Eigen::Index i = 0; i < q.rows(); ++i)
    for (Eigen::Index j = 0; j < q.cols(); j += 2) pairs.insert({q(i, j), q(i, j + 1)});
  EXPECT_LE(pairs.size(), 16u * 2);  // 32 x 32 = 1024 weights: 2 codebooks of 16 codewords
  PtqContext exact = ctx;
  exact.scheme.gemm = model::GemmMode::exact;
  EXPECT_THROW(run_pipeline("gptvq", exact), std::invalid_argument);
}

// With a VQ weight format GPTVQ learns one codebook per block of the format and records them as the block scales:
// the weights pack against them exactly (formats/packed.hpp) and the exact storage is the format's.
TEST(Gptvq, VqWeightFormatGetsTheFormatsBlocks) {
  PtqContext ctx = tiny_context(model::TensorQuant::parse("vq2_d2", 16));
  const auto w = ctx.weights;
  run_pipeline("gptvq:iters=5:update=off", ctx);  // (the update solves for every codeword value: slow here)
  for (const model::LinearId& id : ctx.quantized_linears()) {
    const WeightScales& s = ctx.scales.at(id);
    const Matrix& q = w->linear(id).weight;
    ASSERT_EQ(s.block, 16);
    ASSERT_EQ(s.bytes.size(), static_cast<std::size_t>(s.rows * s.blocks_per_row()) * s.scale_bytes());
    const std::vector<std::uint8_t> packed = pack_rows(Format::vq2_d2, 16, {q.data(), static_cast<std::size_t>(q.size())},
                                                       static_cast<int>(q.rows()), static_cast<int>(q.cols()), s.bytes);
    const std::vector<float> back = unpack_rows(Format::vq2_d2, 16, packed, static_cast<int>(q.rows()), static_cast<int>(q.cols()));
    EXPECT_EQ(std::memcmp(back.data(), q.data(), back.size() * sizeof(float)), 0) << model::linear_name(id);
    const auto books = static_cast<std::uint64_t>(s.rows * s.blocks_per_row());  // 16 2-vectors of INT8 + FP32 scale
    EXPECT_EQ(weight_bits(s.quant, s.rows, s.cols), books * (16 * 2 * 8 + 32) + static_cast<std::uint64_t>(q.size()) * 2);
  }
  EXPECT_THROW(run_pipeline("gptvq:dim=2", ctx), std::invalid_argument);  // the format fixes the shape
  EXPECT_THROW(model::TensorQuant::parse("vq2_d2", 15), std::invalid_argument);  // a block that splits a vector
}

}  // namespace
}  // namespace mxlab::algorithms
