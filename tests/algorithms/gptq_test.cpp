// GPTQ on synthetic layers: equal to a straightforward column-by-column GPTQ, and better than RTN.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <random>

#include "algorithms/gptq.hpp"
#include "formats/packed.hpp"

namespace mxlab::algorithms {
namespace {

struct Layer {
  Matrix w;  // out x in
  Matrix x;  // tokens x in, correlated channels
  Eigen::MatrixXd h;
};
Layer make_layer(int out, int in, int tokens, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  Layer L{Matrix(out, in), Matrix(tokens, in), {}};
  for (auto& v : L.w.reshaped()) v = g(rng);
  Matrix z(tokens, in), mix(in, in);
  for (auto& v : z.reshaped()) v = g(rng);
  for (auto& v : mix.reshaped()) v = g(rng) * 0.3f;
  mix.diagonal().array() += 1.f;
  L.x = z * mix;  // strongly correlated inputs
  for (int j = 0; j < in; j += 7) L.x.col(j) *= 8.f;  // a few large channels
  L.h = 2.0 * L.x.cast<double>().transpose() * L.x.cast<double>() / tokens;
  return L;
}

// GPTQ column by column, no lazy batching: the textbook algorithm as the oracle for the optimized one.
// act_order: columns by decreasing diag(H), with static groups (block scales from the original weights,
// blocks of consecutive original columns).
Matrix straightforward_gptq(const Matrix& weight, Eigen::MatrixXd H, const model::TensorQuant& q, bool act_order = false) {
  const Eigen::Index rows = weight.rows(), cols = weight.cols();
  Eigen::MatrixXd W = weight.cast<double>();
  for (Eigen::Index j = 0; j < cols; ++j)
    if (H(j, j) == 0) { H(j, j) = 1; W.col(j).setZero(); }
  const Eigen::Index group = std::min<Eigen::Index>(resolve_block(traits(*q.format), q.cfg), cols);
  auto quantizer = [&](Eigen::Index r, Eigen::Index g0, const Eigen::MatrixXd& src) {
    std::vector<float> vals;
    for (Eigen::Index k = g0; k < std::min(g0 + group, cols); ++k) vals.push_back(static_cast<float>(src(r, k)));
    return BlockQuantizer(*q.format, vals, q.cfg);
  };
  std::vector<std::vector<BlockQuantizer>> fixed(rows);  // act order: [row][original group]
  std::vector<Eigen::Index> perm(cols);
  for (Eigen::Index j = 0; j < cols; ++j) perm[j] = j;
  if (act_order) {
    for (Eigen::Index r = 0; r < rows; ++r)
      for (Eigen::Index g0 = 0; g0 < cols; g0 += group) fixed[r].push_back(quantizer(r, g0, W));
    std::stable_sort(perm.begin(), perm.end(), [&](Eigen::Index a, Eigen::Index b) { return H(a, a) > H(b, b); });
    const Eigen::PermutationMatrix<Eigen::Dynamic> P(Eigen::Map<const Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1>>(perm.data(), cols).cast<int>());
    W = (W * P).eval();  // column j of W*P is column perm[j] of W
    H = (P.transpose() * H * P).eval();
  }
  H.diagonal().array() += 0.01 * H.diagonal().mean();
  const Eigen::MatrixXd hinv = H.fullPivLu().inverse();
  const Eigen::MatrixXd U = Eigen::MatrixXd(hinv.llt().matrixL()).transpose();
  Matrix Q(rows, cols);
  std::vector<BlockQuantizer> current;
  for (Eigen::Index j = 0; j < cols; ++j) {
    if (!act_order && j % group == 0) {
      current.clear();
      for (Eigen::Index r = 0; r < rows; ++r) current.push_back(quantizer(r, j, W));
    }
    for (Eigen::Index r = 0; r < rows; ++r) {
      const BlockQuantizer& qz = act_order ? fixed[r][perm[j] / group] : current[r];
      Q(r, perm[j]) = qz.quantize(static_cast<float>(W(r, j)), r * cols + perm[j]);
      const double err = (W(r, j) - Q(r, perm[j])) / U(j, j);
      for (Eigen::Index k = j + 1; k < cols; ++k) W(r, k) -= err * U(j, k);
    }
  }
  return Q;
}

double output_error(const Layer& L, const Matrix& q) {
  return (L.x * L.w.transpose() - L.x * q.transpose()).squaredNorm() / static_cast<double>(L.x.rows());
}

class GptqFormats : public ::testing::TestWithParam<const char*> {};

TEST_P(GptqFormats, LazyBatchingEqualsColumnByColumn) {
  const auto q = model::TensorQuant::parse(GetParam());
  for (auto [in, blocksize] : {std::pair{96, 128}, std::pair{200, 48}, std::pair{64, 7}}) {
    const Layer L = make_layer(24, in, 400, 3 + in);
    const Matrix want = straightforward_gptq(L.w, L.h, q);
    const GptqResult got = gptq_quantize(L.w, L.h, q, {.blocksize = blocksize});
    // The solver works in FP32 (as the reference does), the oracle in double. Power-of-two block scales (MX)
    // give the same grid, so the same values; an FP32 group scale (amax / qmax of the updated weights) may differ
    // in its last bits (relative 2^-18 at most here), so every value may move by that fraction of its group's
    // largest value -- far below one grid step (>= amax / 14 for these 4-bit grids): never to another grid point.
    const Matrix diff = (got.weight - want).cwiseAbs();
    const int group = resolve_block(traits(*q.format), q.cfg);
    Matrix allowed(want.rows(), want.cols());
    for (Eigen::Index r = 0; r < want.rows(); ++r)
      for (Eigen::Index g0 = 0; g0 < in; g0 += group) {
        const Eigen::Index len = std::min<Eigen::Index>(group, in - g0);
        allowed.row(r).segment(g0, len).setConstant(1e-6f + 0x1p-18f * want.row(r).segment(g0, len).cwiseAbs().maxCoeff());
      }
    EXPECT_TRUE((diff.array() <= allowed.array()).all())
        << GetParam() << " in=" << in << " blocksize " << blocksize << ": " << (diff.array() > allowed.array()).count()
        << " of " << diff.size() << " differ by more than 2^-18 of their group's max; max " << diff.maxCoeff();
    if (traits(*q.format).scale == ScaleType::e8m0) EXPECT_LT(diff.maxCoeff(), 1e-6) << GetParam();
  }
}

TEST_P(GptqFormats, ActOrderEqualsColumnByColumn) {
  const auto q = model::TensorQuant::parse(GetParam());
  const Layer L = make_layer(16, 100, 300, 21);
  const Matrix want = straightforward_gptq(L.w, L.h, q, true);
  const GptqResult got = gptq_quantize(L.w, L.h, q, {.blocksize = 24, .act_order = true});
  EXPECT_LT((got.weight - want).cwiseAbs().maxCoeff(), 1e-6) << GetParam();
}

TEST_P(GptqFormats, OutputErrorBelowRtnOnCorrelatedInputs) {
  const auto q = model::TensorQuant::parse(GetParam());
  const Layer L = make_layer(64, 128, 1024, 11);
  Matrix rtn = L.w;
  model::quantize_rows(q, rtn);
  const double e_rtn = output_error(L, rtn);
  const double e_gptq = output_error(L, gptq_quantize(L.w, L.h, q).weight);
  const double e_act = output_error(L, gptq_quantize(L.w, L.h, q, {.act_order = true}).weight);
  EXPECT_LT(e_gptq, 0.8 * e_rtn) << GetParam();
  EXPECT_LT(e_act, 0.8 * e_rtn) << GetParam();
  RecordProperty("rtn", std::to_string(e_rtn));
  RecordProperty("gptq", std::to_string(e_gptq));
}

INSTANTIATE_TEST_SUITE_P(Formats, GptqFormats,
                         ::testing::Values("int4", "int4_asym", "mxint4", "mxfp4_e2m1", "mxint8", "nvfp4", "fp4_e2m1"));

TEST(Gptq, DeadColumnsAreZeroedAndPerChannelGroupsWork) {
  Layer L = make_layer(16, 40, 200, 5);
  L.h.row(3).setZero();
  L.h.col(3).setZero();
  const auto res = gptq_quantize(L.w, L.h, model::TensorQuant::parse("int4", 40));
  EXPECT_EQ(res.dead_columns, 1);
  EXPECT_TRUE(res.weight.col(3).isZero());
  EXPECT_GT(res.loss, 0);
}

TEST(Gptq, BadArgumentsThrow) {
  const Layer L = make_layer(8, 32, 50, 1);
  EXPECT_THROW(gptq_quantize(L.w, Eigen::MatrixXd::Identity(31, 31), model::TensorQuant::parse("int4")), std::invalid_argument);
  EXPECT_THROW(gptq_quantize(L.w, L.h, model::TensorQuant::parse("none")), std::invalid_argument);
}

// A Hessian that is not positive definite at the default dampening (eigenvalue -0.05 + 0.01): GPTQ retries
// with 10x the dampening instead of failing, and reports it; a hopeless one (negative diagonal) still throws.
TEST(Gptq, RetriesWithMoreDampeningWhenCholeskyFails) {
  Eigen::MatrixXd h(2, 2);
  h << 1.0, 1.05, 1.05, 1.0;
  Matrix w(3, 2);
  w << 0.5f, -0.25f, 1.0f, 0.75f, -0.5f, 0.125f;
  const GptqResult r = gptq_quantize(w, h, model::TensorQuant::parse("int8"));
  EXPECT_DOUBLE_EQ(r.percdamp, 0.1);
  EXPECT_EQ(r.weight.rows(), 3);
  EXPECT_THROW(gptq_quantize(w, -Eigen::MatrixXd::Identity(2, 2), model::TensorQuant::parse("int8")), std::runtime_error);
}

}  // namespace
}  // namespace mxlab::algorithms
