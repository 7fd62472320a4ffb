// The Pareto front (both coordinates minimized) on hand-checked point sets.
#include <gtest/gtest.h>

#include <cmath>

#include "experiments/report.hpp"

namespace mxlab::experiments {
namespace {

TEST(Pareto, KnownFront) {
  // (bits, KL): A(4.25, 0.30) B(4.5, 0.20) C(5, 0.25) dominated by B; D(8.25, 0.01); E(4.25, 0.35) dominated by A;
  // F(6.25, 0.20) dominated by B (same KL, more bits); G(3, 1.0) the cheapest.
  const std::vector<double> x{4.25, 4.5, 5, 8.25, 4.25, 6.25, 3};
  const std::vector<double> y{0.30, 0.20, 0.25, 0.01, 0.35, 0.20, 1.0};
  EXPECT_EQ(pareto_front(x, y), (std::vector<bool>{true, true, false, true, false, false, true}));
}

TEST(Pareto, EqualPointsAreBothOnTheFront) {
  EXPECT_EQ(pareto_front({4, 4, 5}, {0.1, 0.1, 0.2}), (std::vector<bool>{true, true, false}));
}

TEST(Pareto, NanIsNeverOnTheFrontAndDominatesNothing) {
  const double nan = std::nan("");
  EXPECT_EQ(pareto_front({nan, 5, 4}, {0.0, 0.1, nan}), (std::vector<bool>{false, true, false}));
  EXPECT_TRUE(pareto_front({}, {}).empty());
}

TEST(Pareto, MatchesBruteForceOnRandomGrids) {
  // On a coarse integer grid ties are common; compare with the definition written out again.
  std::uint64_t s = 42;
  auto next = [&] { return (s = s * 6364136223846793005ull + 1442695040888963407ull) >> 61; };  // 0..7
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> x(12), y(12);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(next()), y[i] = static_cast<double>(next());
    const std::vector<bool> f = pareto_front(x, y);
    for (std::size_t i = 0; i < x.size(); ++i) {
      bool better_exists = false;
      for (std::size_t j = 0; j < x.size(); ++j)
        better_exists |= (x[j] < x[i] && y[j] <= y[i]) || (x[j] <= x[i] && y[j] < y[i]);
      EXPECT_EQ(f[i], !better_exists) << "trial " << trial << " point " << i;
    }
  }
}

}  // namespace
}  // namespace mxlab::experiments
