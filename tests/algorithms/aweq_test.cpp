// AWEQ: the equalization balances activation and weight ranges, and the bias correction zeroes the mean output
// error on the calibration data (on synthetic data and through the pipeline step).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "algorithms/aweq.hpp"
#include "algorithms/layer_io.hpp"
#include "tiny_model.hpp"

namespace mxlab::algorithms {
namespace {

Matrix random_matrix(Eigen::Index r, Eigen::Index c, unsigned seed, float offset = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  Matrix m(r, c);
  for (Eigen::Index j = 0; j < c; ++j)
    for (Eigen::Index i = 0; i < r; ++i) m(i, j) = n(rng) * (1.0f + static_cast<float>(j % 5)) + offset * static_cast<float>(j % 3);
  return m;
}

TEST(Aweq, EqualizationGivesActivationsAndWeightsTheSameRange) {
  const Matrix x = random_matrix(300, 24, 1, 2.0f), w1 = random_matrix(10, 24, 2), w2 = random_matrix(6, 24, 3);
  const Vector s = equalization_scales(x, {&w1, &w2});
  Matrix w(16, 24);
  w << w1, w2;
  const Matrix xs = x.array().rowwise() / s.transpose().array(), ws = w.array().rowwise() * s.transpose().array();
  for (Eigen::Index c = 0; c < 24; ++c) {
    const double rx = xs.col(c).maxCoeff() - xs.col(c).minCoeff(), rw = ws.col(c).maxCoeff() - ws.col(c).minCoeff();
    const double r0 = std::sqrt(double(x.col(c).maxCoeff() - x.col(c).minCoeff()) * (w.col(c).maxCoeff() - w.col(c).minCoeff()));
    EXPECT_NEAR(rx, rw, 1e-5 * rw);
    EXPECT_NEAR(rx, r0, 1e-5 * r0);
  }
}

TEST(Aweq, BiasCorrectionZeroesTheMeanOutputErrorOnCalibrationData) {
  const Matrix x = random_matrix(512, 32, 4, 1.5f), w = random_matrix(16, 32, 5);
  for (const char* fmt : {"int4", "mxint4", "mxfp4_e2m1"}) {
    Matrix wq = w, xq = x;
    model::quantize_rows(model::TensorQuant::parse(fmt, model::kBlockRow), wq);
    model::quantize_rows(model::TensorQuant::parse("mxint8"), xq);
    const Vector d = bias_correction(x, xq, w, wq);
    const Matrix y = x * w.transpose();
    const Matrix yq = (xq * wq.transpose()).rowwise() + d.transpose();
    const Eigen::VectorXd before = (xq * wq.transpose() - y).cast<double>().colwise().mean().transpose();
    const Eigen::VectorXd after = (yq - y).cast<double>().colwise().mean().transpose();
    const double scale = y.cwiseAbs().mean();
    EXPECT_GT(before.cwiseAbs().maxCoeff(), 1e-3 * scale) << fmt;  // there was a mean error to correct
    EXPECT_LT(after.cwiseAbs().maxCoeff(), 1e-5 * scale) << fmt;   // to float rounding
  }
}

// Through the step: layer 0's q sees the same calibration input in the FP and the quantized model (to the
// equalization's rounding), so its deployed output (weights, input format, corrected bias) has a mean error ~ 0.
TEST(Aweq, StepCorrectsTheDeployedLayerOnItsCalibrationInputs) {
  PtqContext ctx;
  auto fp = test::tiny_model();
  ctx.weights = std::make_shared<model::ModelWeights>(*fp);
  ctx.calib = test::random_tokens(8 * 32, 3);
  ctx.ctx = 32;
  ctx.scheme.linear.weight = model::TensorQuant::parse("int4", model::kBlockRow);
  ctx.scheme.linear.input = model::TensorQuant::parse("mxint8");
  run_pipeline("aweq", ctx);
  for (const auto& id : ctx.quantized_linears()) EXPECT_EQ(ctx.weights->linear(id).bias.size(), ctx.weights->linear(id).out());
  const LinearId q{0, model::LinearKind::q};
  model::Runtime ref(fp), dep(ctx.weights, ctx.calibration_scheme());
  const LayerInputs in_ref(ref, ctx.calib, ctx.ctx), in_dep(dep, ctx.calib, ctx.ctx);
  const Matrix y = ref.linear(q, record_inputs(ref, in_ref, q));
  const Matrix yq = dep.linear(q, record_inputs(dep, in_dep, q));
  const Eigen::VectorXd mean_err = (yq - y).cast<double>().colwise().mean().transpose();
  PtqContext plain = ctx;  // rtn alone, for the size of the uncorrected error
  plain.weights = std::make_shared<model::ModelWeights>(*fp);
  run_pipeline("aweq:equalize=off:bias_correction=off", plain);
  model::Runtime rtn(plain.weights, plain.calibration_scheme());
  const LayerInputs in_rtn(rtn, ctx.calib, ctx.ctx);
  const Eigen::VectorXd rtn_err = (rtn.linear(q, record_inputs(rtn, in_rtn, q)) - y).cast<double>().colwise().mean().transpose();
  EXPECT_LT(mean_err.cwiseAbs().maxCoeff(), 1e-4 * y.cwiseAbs().mean());
  EXPECT_LT(mean_err.cwiseAbs().maxCoeff(), 0.05 * rtn_err.cwiseAbs().maxCoeff());
  EXPECT_THROW(make_algorithm("aweq:alpha=1"), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab::algorithms
