// The Pareto front (both coordinates minimized) on hand-checked point sets, also per hardware-cost axis in a report.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <tuple>

#include "experiments/report.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

namespace fs = std::filesystem;

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

// A store of hand-made points with cost columns: the report draws one front per cost axis (KL versus area, versus
// energy/MAC, versus an accelerator's energy per token), leaving out points without the column.
TEST(Pareto, ReportHasAFrontPerCostAxis) {
  test::ScratchDir d;
  const double nan = std::nan("");
  // name, bits, KL, area, pJ/MAC, accel energy/token
  const std::vector<std::tuple<std::string, double, double, double, double, double>> pts{
      {"a", 4.25, 0.30, 1000, 2.0, 5.0}, {"b", 8.25, 0.01, 3000, 6.0, 9.0}, {"c", 4.5, 0.20, 900, 4.0, 4.0},
      {"d", 6.25, 0.05, 2500, 1.5, nan}, {"e", 5.0, 0.40, nan, nan, nan}};
  std::vector<fs::path> files;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto& [name, bits, kl, area, pj, ept] = pts[i];
    PointRecord r;
    r.name = name;
    r.index = i;
    r.config = {{"point", {{"weights", "mxint4"}, {"acts", "none"}, {"pipeline", name}}},
                {"session", {{"eval_texts", {{{"name", "t"}}}}}}};
    r.attrs = {{"status", "ok"}};
    r.metrics = {{"bits_per_weight", bits}, {"t.kld_mean", kl}, {"t.ppl", 4 + kl}, {"cost.area_um2", area},
                 {"cost.pj_per_mac", pj}, {"accel.uj_per_token", ept}, {"accel.utilization", 1}};
    files.push_back(d / (name + ".h5"));
    write_point_file(files.back(), r);
  }
  merge_point_files(d / "r.h5", {{"format", kStoreFormat}}, files);
  const StoreContents s = read_store(d / "r.h5");
  const std::vector<CostAxis> axes = cost_axes(s);
  ASSERT_EQ(axes.size(), 3u);
  EXPECT_EQ(axes[0].metric, "cost.area_um2");
  EXPECT_EQ(axes[1].name, "energy");
  EXPECT_EQ(axes[2].name, "energy_per_token");  // no accel.cycles column here
  const bool plots = std::system((python_interpreter() + " -c 'import h5py, matplotlib' 2>/dev/null").c_str()) == 0;
  write_report(d / "r.h5", {d / "rep", plots ? "on" : "off"});
  // (area, KL): c(900, .20) and b(3000, .01) and d(2500, .05); a(1000, .30) is dominated by c; e has no area.
  EXPECT_EQ(test::read_text(d / "rep/pareto_area.txt"), "b\nc\nd\n");
  // (pJ/MAC, KL): d(1.5, .05) dominates a, b? b has KL .01 < .05: b stays; c(4, .2) dominated by d.
  EXPECT_EQ(test::read_text(d / "rep/pareto_energy.txt"), "b\nd\n");
  // (energy/token, KL): c(4, .20), a(5, .30) dominated by c, b(9, .01).
  EXPECT_EQ(test::read_text(d / "rep/pareto_energy_per_token.txt"), "b\nc\n");
  EXPECT_EQ(test::read_text(d / "rep/pareto.txt"), "a\nb\nc\nd\n");  // (bits, KL): e(5, .40) is dominated by c
  EXPECT_NE(test::read_text(d / "rep/sweep.md").find("- cost.area_um2: `b`, `c`, `d`"), std::string::npos);
  if (plots) {
    for (const char* f : {"kl_vs_area.png", "kl_vs_area.svg", "kl_vs_energy.png", "kl_vs_energy_per_token.svg"})
      EXPECT_GT(fs::file_size(d / "rep" / f), 1000u) << f;
  }
}

}  // namespace
}  // namespace mxlab::experiments
