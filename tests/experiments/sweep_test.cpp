// The runner on stories260K (small sizes): stored numbers are the PTQ library's, a failing point is recorded and
// the sweep goes on, a rerun keeps finished points, a changed spec recomputes; the report marks the Pareto front.
#include <gtest/gtest.h>

#include <numeric>

#include "experiments/report.hpp"
#include "experiments/runner.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;

// Throws for points whose weights are `fail_weights` (unless disarmed), to test failure handling.
class FailingStage : public PointStage {
 public:
  explicit FailingStage(std::string w) : weights_(std::move(w)) {}
  std::string_view name() const override { return "fail"; }
  void run(const StageContext& ctx, PointRecord&) const override {
    if (armed && ctx.point.weights == weights_) throw std::runtime_error("boom: injected failure");
  }
  bool armed = true;

 private:
  std::string weights_;
};

struct Sweep {
  ScratchDir dir;
  SweepSpec spec;
  std::vector<std::string> log;
  explicit Sweep(const std::string& text) {
    write_text(dir / "s.toml", text);
    spec = load_spec(dir / "s.toml", MXLAB_DATA_DIR);
  }
  SweepSummary run(std::vector<std::shared_ptr<const PointStage>> stages = {}, bool retry = false) {
    SweepOptions o;
    o.out = dir / "r.h5";
    o.retry_failed = retry;
    o.stages = std::move(stages);
    o.log = [this](const std::string& l) { log.push_back(l); };
    return run_sweep(spec, o);
  }
};

TEST(Sweep, StoresLibraryNumbersRecordsFailuresAndResumes) {
  if (!have_data()) GTEST_SKIP() << "no data";
  Sweep s(small_spec("weights = [\"mxint8\", \"mxint4\", \"mxfp4_e2m1\"]\npipeline = [\"rtn\"]"));
  auto fail = std::make_shared<FailingStage>("mxint4");
  const SweepSummary first = s.run({std::make_shared<PtqEvalStage>(), fail});
  EXPECT_EQ(first.points, 3u);
  EXPECT_EQ(first.computed, 3u);
  EXPECT_EQ(first.failed, 1u);
  StoreContents r = read_store(s.dir / "r.h5");
  ASSERT_EQ(r.points.size(), 3u);
  EXPECT_EQ(r.attrs.at("format"), kStoreFormat);
  EXPECT_EQ(r.attrs.at("spec"), s.spec.text);
  EXPECT_EQ(r.points[1].attrs.at("status"), "failed");
  EXPECT_EQ(r.points[1].attrs.at("error"), "boom: injected failure");

  // The stored numbers are run_ptq's on the same session, bit for bit.
  const algorithms::PtqSession session = algorithms::prepare_session(s.spec.session);
  const PointRecord& p = r.points[2];
  ASSERT_TRUE(p.ok()) << p.attrs.at("error");
  const algorithms::PtqRunResult direct = algorithms::run_ptq(session, "rtn", s.spec.points[2].scheme());
  EXPECT_EQ(p.metric("bits_per_weight"), direct.bits_per_weight());
  EXPECT_EQ(p.metric("tinystories.kld_mean"), direct.evals[0].second.kld_mean);
  EXPECT_EQ(p.metric("wikitext2.ppl"), direct.evals[1].second.ppl);
  EXPECT_EQ(p.metric("tinystories.top1"), direct.evals[0].second.top1_agree);
  ASSERT_EQ(p.layers.names.size(), direct.linears.size());
  const auto& bits = p.layers.numbers.at("bits");
  EXPECT_EQ(std::accumulate(bits.begin(), bits.end(), 0.0), p.metric("weight_bits"));
  EXPECT_EQ(p.layers.text.at("weights")[0], "mxfp4_e2m1/32");
  for (const char* key : {"start_time", "end_time", "host", "git_commit", "spec_sha256"}) EXPECT_TRUE(p.attrs.count(key)) << key;
  EXPECT_EQ(p.config["session"]["model"]["sha256"].get<std::string>().size(), 64u);

  // Rerun: nothing recomputed (the failed point is kept too); --retry-failed recomputes only it.
  const std::string started = p.attrs.at("start_time");
  const SweepSummary again = s.run({std::make_shared<PtqEvalStage>(), fail});
  EXPECT_EQ(again.computed, 0u);
  EXPECT_EQ(again.kept, 3u);
  fail->armed = false;
  const SweepSummary retry = s.run({std::make_shared<PtqEvalStage>(), fail}, true);
  EXPECT_EQ(retry.computed, 1u);
  EXPECT_EQ(retry.kept, 2u);
  r = read_store(s.dir / "r.h5");
  for (const auto& q : r.points) EXPECT_TRUE(q.ok()) << q.name;
  EXPECT_EQ(r.points[2].attrs.at("start_time"), started);  // kept, not rewritten
}

TEST(Sweep, ChangedSettingsRecompute) {
  if (!have_data()) GTEST_SKIP() << "no data";
  Sweep s(small_spec("weights = \"mxint8\""));
  EXPECT_EQ(s.run().computed, 1u);
  // The model copied elsewhere (same bytes): kept; its bytes changed: recomputed (and it fails to load).
  fs::copy_file(s.spec.session.model, s.dir / "copy.bin");
  s.spec.session.model = s.dir / "copy.bin";
  EXPECT_EQ(s.run().kept, 1u);
  write_text(s.dir / "copy.bin", "not a model");
  EXPECT_THROW(s.run(), std::exception);
  s.spec.session.model = fs::path(MXLAB_DATA_DIR) / "models/stories260K.bin";
  EXPECT_EQ(s.run().kept, 1u);
  s.spec.session.eval_tokens = 512;  // same point name, different session config
  const SweepSummary r = s.run();
  EXPECT_EQ(r.computed, 1u);
  EXPECT_EQ(read_store(s.dir / "r.h5").points.at(0).metric("tinystories.tokens"), 511);
}

TEST(Sweep, ReportMarksTheParetoFrontAndWritesTables) {
  if (!have_data()) GTEST_SKIP() << "no data";
  Sweep s(small_spec("weights = [\"mxint8\", \"mxint4\", \"mxfp4_e2m1\", \"int4\"]"));
  s.run();
  const bool plots = std::system((python_interpreter() + " -c 'import h5py, matplotlib' 2>/dev/null").c_str()) == 0;
  const ReportOutput out = write_report(s.dir / "r.h5", {s.dir / "rep", plots ? "on" : "off"});
  const StoreContents r = read_store(s.dir / "r.h5");
  std::vector<double> x, y;
  for (const auto& p : r.points) x.push_back(p.metric("bits_per_weight")), y.push_back(p.metric("tinystories.kld_mean"));
  const std::vector<bool> front = pareto_front(x, y);
  std::string expected;
  for (std::size_t i = 0; i < front.size(); ++i)
    if (front[i]) expected += r.points[i].name + "\n";
  EXPECT_EQ(read_text(s.dir / "rep/pareto.txt"), expected);
  EXPECT_NE(expected.find("mxint8__none__rtn"), std::string::npos);  // the most accurate point is on the front
  const std::string csv = read_text(s.dir / "rep/sweep.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header + 4 points
  EXPECT_NE(read_text(s.dir / "rep/sweep.md").find("**yes**"), std::string::npos);
  if (plots) {
    for (const char* f : {"kl_vs_bits.png", "kl_vs_bits.svg", "ppl_vs_bits.png", "ppl_vs_bits.svg"})
      EXPECT_GT(fs::file_size(s.dir / "rep" / f), 1000u) << f;
  }

  // Comparing a file with itself: every point joined, differences zero.
  write_comparison(s.dir / "r.h5", s.dir / "r.h5", {s.dir / "cmp", "off"});
  const std::string cmp = read_text(s.dir / "cmp/compare.csv");
  EXPECT_EQ(std::count(cmp.begin(), cmp.end(), '\n'), 5);
  EXPECT_EQ(cmp.find("Only in"), std::string::npos);
}

}  // namespace
}  // namespace mxlab::experiments
