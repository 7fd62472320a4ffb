// A sweep point whose pipeline has an lsaq step stores LSAQ's per-layer importance in its blocks table (equal to a
// logit lens recomputed here, read back the same by the C++ reader and by h5py); other points have no such column.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <span>

#include "experiments/report.hpp"
#include "model/load_model.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;

// The k largest logits of a row, ties to the smaller id, by a full stable sort (not lsaq.cpp's partial sort).
std::vector<int> top_set(const model::Matrix& logits, Eigen::Index row, int k) {
  std::vector<int> ids(static_cast<std::size_t>(logits.cols()));
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return logits(row, a) > logits(row, b); });
  ids.resize(static_cast<std::size_t>(k));
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Importance of every decoder layer by the logit lens, from the FP32 model's forward cut after l blocks
// (ForwardOptions::n_layers): 1 - mean over calibration positions of |A n B| / |A u B| of the top-k sets before
// and after the layer.
std::vector<double> importance_by_hand(const algorithms::PtqSession& s, int k) {
  model::Runtime rt(s.fp32);
  const int layers = s.fp32->config.n_layers;
  const std::size_t ctx = static_cast<std::size_t>(s.ctx), windows = s.calib.size() / ctx;
  std::vector<double> sum(static_cast<std::size_t>(layers), 0.0);
  for (std::size_t w = 0; w < windows; ++w) {
    const std::span<const int> win(s.calib.data() + w * ctx, ctx);
    std::vector<model::Matrix> logits;
    for (int l = 0; l <= layers; ++l) logits.push_back(rt.head(rt.forward(win, {.n_layers = l})));
    for (int l = 0; l < layers; ++l)
      for (Eigen::Index t = 0; t < static_cast<Eigen::Index>(ctx); ++t) {
        const std::vector<int> a = top_set(logits[static_cast<std::size_t>(l)], t, k),
                               b = top_set(logits[static_cast<std::size_t>(l) + 1], t, k);
        std::vector<int> both, either;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
        std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(either));
        sum[static_cast<std::size_t>(l)] += static_cast<double>(both.size()) / static_cast<double>(either.size());
      }
  }
  for (double& v : sum) v = 1.0 - v / static_cast<double>(windows * ctx);
  return sum;
}

TEST(SweepLayers, LsaqPointsStoreImportanceAndOthersNone) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  const auto [spec, r] = run_small_sweep(d, "weights = [\"mxint4\"]\npipeline = [\"rtn\", \"lsaq:budget=6bpw:k=8\"]");
  ASSERT_EQ(r.points.size(), 2u);
  const PointRecord &rtn = r.points[0], &lsaq = r.points[1];
  ASSERT_EQ(lsaq.name, "mxint4__none__lsaq:budget=6bpw:k=8");
  EXPECT_EQ(rtn.blocks.numbers.count("importance"), 0u);  // no column, not zeros
  ASSERT_EQ(lsaq.blocks.numbers.count("importance"), 1u);
  const std::vector<double>& got = lsaq.blocks.numbers.at("importance");
  const std::vector<double> expected = importance_by_hand(algorithms::prepare_session(spec.session), 8);
  ASSERT_EQ(got.size(), 5u);  // stories260K: 5 decoder layers
  for (std::size_t l = 0; l < got.size(); ++l) {
    EXPECT_NEAR(got[l], expected[l], 1e-12) << "layer " << l;
    EXPECT_GT(got[l], 0.0) << "layer " << l;
    EXPECT_LT(got[l], 1.0) << "layer " << l;
  }

  const std::string python = python_interpreter();
  if (std::system((python + " -c 'import h5py' 2>/dev/null").c_str()) != 0) GTEST_SKIP() << "python3-h5py not installed";
  write_text(d / "read.py",
             "import h5py, sys\n"
             "f = h5py.File(sys.argv[1], 'r')\n"
             "for name in sorted(f['points']):\n"
             "    b = f['points'][name]['blocks']\n"
             "    print(name, ' '.join(repr(float(x)) for x in b['importance'][()]) if 'importance' in b else '-')\n");
  const std::string out = command_output(python + " " + (d / "read.py").string() + " " + (d / "r.h5").string());
  // repr(float) is the shortest text that reads back to the same double: compare values, not text.
  std::vector<std::string> lines;
  for (std::size_t a = 0, b; (b = out.find('\n', a)) != std::string::npos; a = b + 1) lines.push_back(out.substr(a, b - a));
  ASSERT_EQ(lines.size(), 2u) << out;
  EXPECT_EQ(lines[1], rtn.name + " -") << out;  // sorted: "mxint4__none__lsaq..." < "mxint4__none__rtn"
  ASSERT_EQ(lines[0].rfind(lsaq.name + " ", 0), 0u) << out;
  std::vector<double> read;
  for (const char* p = lines[0].c_str() + lsaq.name.size(); *p;) {
    char* end = nullptr;
    const double v = std::strtod(p, &end);
    if (end == p) break;
    read.push_back(v);
    p = end;
  }
  EXPECT_EQ(read, got) << out;
}

}  // namespace
}  // namespace mxlab::experiments
