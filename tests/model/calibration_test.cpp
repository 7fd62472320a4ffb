// Calibration capture: statistics and Hessian equal those of the recorded raw inputs; selection and windows.
#include <gtest/gtest.h>

#include <random>

#include "model/calibration.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

std::vector<int> tokens(int n, int vocab) {
  std::mt19937 rng(4);
  std::vector<int> t(n);
  for (int& v : t) v = static_cast<int>(rng() % vocab);
  return t;
}

TEST(Calibration, StatsAndHessianMatchRecordedInputs) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true), 6));
  Runtime rt(w);
  const LinearId target{1, LinearKind::down};
  CaptureOptions opt;
  opt.hessian = true;
  opt.record = target;
  CalibrationCapture cap(opt);
  const auto t = tokens(100, w->config.vocab_size);
  EXPECT_EQ(calibrate(rt, t, 32, cap), 96u);  // three windows, tail of 4 dropped
  const Matrix x = cap.recorded();
  ASSERT_EQ(x.rows(), 96);
  ASSERT_EQ(x.cols(), w->config.hidden_dim);
  const LinearStats& s = cap.stats(target);
  EXPECT_EQ(s.rows, 96u);
  EXPECT_EQ(s.abs_max, x.cwiseAbs().colwise().maxCoeff().transpose());
  EXPECT_TRUE(s.abs_mean().isApprox(x.cwiseAbs().colwise().mean().transpose(), 1e-5f));
  const Eigen::MatrixXd h = x.cast<double>().transpose() * x.cast<double>();
  EXPECT_TRUE(s.xtx.isApprox(h, 1e-9));
  EXPECT_EQ(cap.all().size(), w->linear_ids().size());
  // q, k and v see the same input.
  EXPECT_EQ(cap.stats({0, LinearKind::q}).abs_max, cap.stats({0, LinearKind::v}).abs_max);
}

TEST(Calibration, SelectRecordLimitAndErrors) {
  auto w = std::make_shared<ModelWeights>(ModelWeights::random(test::small_config(4, 2, true), 6));
  Runtime rt(w);
  CaptureOptions opt;
  opt.select = [](LinearId id) { return id.kind == LinearKind::o; };
  opt.record = LinearId{0, LinearKind::q};
  opt.record_max_rows = 50;
  CalibrationCapture cap(opt);
  calibrate(rt, tokens(80, w->config.vocab_size), 40, cap);
  EXPECT_EQ(cap.all().size(), 2u);  // layers.0.o and layers.1.o
  EXPECT_EQ(cap.recorded().rows(), 50);
  EXPECT_THROW(cap.stats({0, LinearKind::q}), std::out_of_range);
  EXPECT_THROW(calibrate(rt, tokens(10, 67), 40, cap), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab::model
