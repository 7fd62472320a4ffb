// `mxlab sweep --jobs N` (points in parallel, each serial inside) gives the numbers of --jobs 1; every point's
// per-decoder-layer table holds its storage and the residual-stream error against an independent recomputation.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <span>

#include "experiments/result_store.hpp"
#include "experiments/runner.hpp"
#include "model/load_model.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;

// Metrics without the timings, which differ from run to run.
std::map<std::string, double> numbers(const PointRecord& p) {
  std::map<std::string, double> m = p.metrics;
  for (const char* timing : {"seconds", "ptq_seconds"}) m.erase(timing);
  return m;
}

TEST(SweepJobs, TwoJobsGiveTheSameFileAsOne) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  write_text(d / "s.toml", small_spec("weights = [\"mxint8\", \"mxint4\"]\nacts = [\"none\", \"mxint8\"]\n"
                                      "pipeline = [\"rtn\", \"gptq\"]"));
  // --jobs 1 with one OpenMP thread: the arithmetic each point does on its own thread under --jobs 2.
  const std::string sweep = std::string(MXLAB_CLI) + " sweep " + (d / "s.toml").string() + " --out ";
  const auto run = [&](const std::string& out, const std::string& args) {
    return std::system(("OMP_NUM_THREADS=1 " + sweep + (d / out).string() + " " + args + " > " + (d / "log").string() +
                        " 2>&1").c_str());
  };
  ASSERT_EQ(run("one.h5", "--jobs 1"), 0) << read_text(d / "log");
  ASSERT_EQ(run("two.h5", "--jobs 2"), 0) << read_text(d / "log");
  const std::string log = read_text(d / "log");
  EXPECT_NE(log.find("8 points (8 computed, 0 kept, 0 failed)"), std::string::npos) << log;
  EXPECT_NE(log.find("  [mxint4__mxint8__gptq] "), std::string::npos) << log;  // a point's own lines carry its name
  EXPECT_NE(log.find("; 0 left, ETA 0 s"), std::string::npos) << log;
  const StoreContents one = read_store(d / "one.h5"), two = read_store(d / "two.h5");
  ASSERT_EQ(one.points.size(), 8u);
  ASSERT_EQ(two.points.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    const PointRecord &a = one.points[i], &b = two.points[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.config, b.config);
    EXPECT_TRUE(b.ok()) << b.name;
    EXPECT_EQ(numbers(a), numbers(b)) << a.name;  // bit for bit
    EXPECT_EQ(a.layers.numbers, b.layers.numbers) << a.name;
    EXPECT_EQ(a.blocks.numbers, b.blocks.numbers) << a.name;
  }
  // A rerun with more jobs than points left keeps everything; a bad count is one line and exit 1.
  ASSERT_EQ(run("two.h5", "--jobs 8"), 0) << read_text(d / "log");
  EXPECT_NE(read_text(d / "log").find("(0 computed, 8 kept, 0 failed)"), std::string::npos) << read_text(d / "log");
  EXPECT_EQ(WEXITSTATUS(run("zero.h5", "--jobs 0")), 1);
  const std::string err = read_text(d / "log");
  EXPECT_NE(err.find("--jobs must be at least 1"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// The residual stream after each decoder layer of an RTN model (weight hooks of a runtime on the FP32 weights:
// the same quantized weights RTN writes), against the FP32 model's, over the spec's evaluation windows.
std::vector<double> residual_errors_by_hand(const std::string& weights, const SweepSpec& spec) {
  auto fp32 = std::make_shared<const model::ModelWeights>(model::load_model(spec.session.model));
  model::QuantScheme q;
  q.linear.weight = model::TensorQuant::parse(weights);
  model::Runtime quant(fp32, q), ref(fp32);
  const std::vector<int> tokens = [&] {
    const algorithms::PtqSession s = algorithms::prepare_session(spec.session);
    return s.texts.at(0).tokens;
  }();
  const std::size_t ctx = static_cast<std::size_t>(fp32->config.seq_len);
  std::vector<double> diff(static_cast<std::size_t>(fp32->config.n_layers)), norm(diff);
  for (std::size_t w = 0; w < std::min<std::size_t>(4, tokens.size() / ctx); ++w) {
    const std::span<const int> win(tokens.data() + w * ctx, ctx);
    model::Matrix hq = quant.embed(win), hf = ref.embed(win);
    for (int l = 0; l < fp32->config.n_layers; ++l) {
      quant.run_layers(hq, l, l + 1), ref.run_layers(hf, l, l + 1);
      for (Eigen::Index i = 0; i < hq.size(); ++i) {
        const double e = static_cast<double>(hq.data()[i]) - hf.data()[i], r = hf.data()[i];
        diff[static_cast<std::size_t>(l)] += e * e, norm[static_cast<std::size_t>(l)] += r * r;
      }
    }
  }
  for (std::size_t l = 0; l < diff.size(); ++l) diff[l] = std::sqrt(diff[l] / norm[l]);
  return diff;
}

TEST(SweepLayers, BlocksTableHoldsStorageAndResidualErrors) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  const auto [spec, r] = run_small_sweep(d, "weights = [\"mxint8\", \"mxint4\"]");
  ASSERT_EQ(r.points.size(), 2u);
  for (const PointRecord& p : r.points) {
    const LayerTable& b = p.blocks;
    ASSERT_EQ(b.names.size(), 5u) << p.name;  // stories260K: 5 decoder layers
    EXPECT_EQ(b.names[4], "layers.4");
    // Storage: each decoder layer's bits are the sum over its linears in the per-linear table.
    double total = 0;
    for (std::size_t l = 0; l < 5; ++l) {
      double bits = 0, weights = 0;
      for (std::size_t k = 0; k < p.layers.names.size(); ++k)
        if (p.layers.names[k].rfind(b.names[l] + ".", 0) == 0)
          bits += p.layers.numbers.at("bits")[k], weights += p.layers.numbers.at("rows")[k] * p.layers.numbers.at("cols")[k];
      EXPECT_EQ(b.numbers.at("bits")[l], bits) << p.name << " " << b.names[l];
      EXPECT_EQ(b.numbers.at("bits_per_weight")[l], bits / weights) << p.name << " " << b.names[l];
      total += bits;
    }
    EXPECT_EQ(total, p.metric("weight_bits"));  // the classifier is not quantized
    EXPECT_EQ(b.numbers.count("importance"), 0u);  // no pipeline here produces importance scores
    const std::vector<double> expected = residual_errors_by_hand(p.config["point"]["weights"].get<std::string>(), spec);
    const std::vector<double>& got = b.numbers.at("residual_rel_error");
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t l = 0; l < got.size(); ++l) EXPECT_NEAR(got[l], expected[l], 1e-9 * expected[l]) << p.name << " layer " << l;
  }
  // Fewer bits, more error, at every layer.
  for (std::size_t l = 0; l < 5; ++l)
    EXPECT_GT(r.points[1].blocks.numbers.at("residual_rel_error")[l], 3 * r.points[0].blocks.numbers.at("residual_rel_error")[l]);
}

// `mxlab ptq-table` is the seed spec through the runner: its default spec is the bundled one, it prints the report's
// table, and a rerun keeps every row.
TEST(PtqTable, RunsItsSpecThroughTheRunner) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  const fs::path seed = fs::path(MXLAB_SOURCE_DIR) / "experiments/specs/seed_ptq_table.toml";
  const std::string help = std::string(MXLAB_CLI) + " ptq-table --help > " + (d / "help").string();
  ASSERT_EQ(std::system(help.c_str()), 0);
  EXPECT_NE(read_text(d / "help").find(seed.string()), std::string::npos) << read_text(d / "help");
  write_text(d / "s.toml", small_spec("weights = \"mxint4\"\nacts = [\"none\", \"mxint8\"]\npipeline = [\"rtn\", \"gptq\"]"));
  const std::string cmd = std::string(MXLAB_CLI) + " ptq-table --spec " + (d / "s.toml").string() + " --results " +
                          (d / "t.h5").string() + " --out " + (d / "rep").string() + " --jobs 2 > " + (d / "out").string() +
                          " 2> " + (d / "err").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_text(d / "err");
  const std::string table = read_text(d / "out");
  EXPECT_EQ(table, read_text(d / "rep/sweep.md").substr(read_text(d / "rep/sweep.md").find("| weights |")));
  for (const char* row : {"| fp32 | fp32 | - | - | 32 |", "| mxint4 | none | rtn | fakequant | 4.2", "| mxint4 | mxint8 | gptq |"})
    EXPECT_NE(table.find(row), std::string::npos) << row << " in " << table;
  EXPECT_EQ(read_store(d / "t.h5").points.size(), 4u);
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_text(d / "err");
  EXPECT_EQ(read_text(d / "out"), table);
  EXPECT_NE(read_text(d / "err").find("mxint4__mxint8__gptq: kept"), std::string::npos) << read_text(d / "err");
}

}  // namespace
}  // namespace mxlab::experiments
