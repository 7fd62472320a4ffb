// The cost stage ([hardware] cost = true): unit choice per point, spec errors, and a tiny sweep whose cost.* metrics
// equal a direct run_cost call for the same unit and format, taken from the cost cache on a rerun.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "experiments/cost_stage.hpp"
#include "experiments/result_store.hpp"
#include "experiments/runner.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;

// PTQ + evaluation, counting its runs.
struct CountingPtq : PtqEvalStage {
  mutable int runs = 0;
  void run(const StageContext& ctx, PointRecord& rec) const override {
    ++runs;
    PtqEvalStage::run(ctx, rec);
  }
};

SweepPoint point(const std::string& w, const std::string& a, const std::string& block = "0") {
  SweepPoint p;
  p.weights = w, p.acts = a, p.block = block;
  return p;
}

std::string chosen(const SweepPoint& p, const std::vector<std::string>& units = {}) {
  const UnitChoice c = choose_unit(p, units);
  return c.unit ? c.unit->unit->name + ":" + c.unit->name + "x" + traits(c.unit->act).name : "none: " + c.reason;
}

TEST(CostStage, ChoosesTheUnitMultiplyingThePointsFormats) {
  EXPECT_EQ(chosen(point("int2", "none")), "int2_mac:int2xint2");
  EXPECT_EQ(chosen(point("int2", "fp32")), "int2_mac:int2xint2");
  EXPECT_EQ(chosen(point("int4", "int8"), {"int4x8_mac"}), "int4x8_mac:int4xint8");
  EXPECT_EQ(chosen(point("mxfp4_e2m1", "none")), "mxfp4_dot:mxfp4_e2m1xmxfp4_e2m1");  // not mx_dot_any (catalog first)
  EXPECT_EQ(chosen(point("mxfp4_e2m1", "none"), {"mx_dot_any", "mxfp4_dot"}), "mx_dot_any:mxfp4_e2m1xmxfp4_e2m1");
  EXPECT_EQ(chosen(point("mxint8", "mxint8")), "mxint8_dot:mxint8xmxint8");
  EXPECT_EQ(chosen(point("nvfp4", "none")), "nvfp4_dot:nvfp4xnvfp4");
  EXPECT_EQ(chosen(point("mxfp8_e4m3", "none")), "mx_dot_any:mxfp8_e4m3xmxfp8_e4m3");
  EXPECT_EQ(chosen(point("fp4_e2m1", "none")), "fp_group_dot:fp4_e2m1xfp8_e4m3");
  EXPECT_EQ(chosen(point("mxfp4_e2m1", "mxfp8_e4m3")), "fp4v_mac:mxfp4_e2m1xmxfp8_e4m3");
  const std::string none = chosen(point("mxint4", "mxint8"));
  EXPECT_EQ(none.rfind("none: no catalog unit multiplies mxint4 weights x mxint8 activations", 0), 0u) << none;
  const std::string block = chosen(point("mxfp4_e2m1", "none", "16"), {"mxfp4_dot"});
  EXPECT_NE(block.find("at this block size"), std::string::npos) << block;
  EXPECT_NE(block.find("mxfp4_dot (mxfp4_e2m1 x mxfp4_e2m1)"), std::string::npos) << block;
}

// VQ weight formats reach the VQ MACs of their codebook shape (x int8, the INT MACs' partner format); the other VQ
// rows get no unit and a reason naming the (D, K) they need and those the catalog has.
TEST(CostStage, VqWeightsChooseTheVqMacOfTheirCodebookShape) {
  EXPECT_EQ(chosen(point("vq2_d2", "none")), "vq_mac:vq2_d2xint8");  // not vq_mac_d3 (catalog order)
  EXPECT_EQ(chosen(point("vq2_d2", "int8")), "vq_mac:vq2_d2xint8");
  EXPECT_EQ(chosen(point("vq2_d2", "none"), {"vq_mac_d3"}), "vq_mac_d3:vq2_d2xint8");
  EXPECT_EQ(chosen(point("vq4_d1", "none")), "vq_mac_d1k16:vq4_d1xint8");
  for (const char* f : {"vq2_d1", "vq3_d1", "vq3_d2"}) {
    const std::string none = chosen(point(f, "none"));
    EXPECT_EQ(none.rfind(std::string("none: no catalog unit multiplies ") + f + " weights", 0), 0u) << none;
    EXPECT_NE(none.find("vq_mac_d4k256 (4, 256)"), std::string::npos) << none;
  }
  EXPECT_NE(chosen(point("vq3_d1", "none")).find("vq3_d1 needs (1, 8)"), std::string::npos);
  const std::string mx = chosen(point("vq2_d2", "mxint8"));
  EXPECT_NE(mx.find("vq_mac (vq2_d2 x int8)"), std::string::npos) << mx;
}

// `hardware` is the body of small_spec's [hardware] table, which starts on line 12.
void expect_error(const std::string& hardware, int line, const std::string& key, const std::string& what) {
  ScratchDir d;
  write_text(d / "s.toml", small_spec("weights = \"int2\"", "[hardware]\n" + hardware + "\n"));
  try {
    load_spec(d / "s.toml", MXLAB_DATA_DIR);
    ADD_FAILURE() << "no error for " << hardware;
  } catch (const SpecError& e) {
    const std::string msg = e.what(), where = (d / "s.toml").string() + ":" + std::to_string(line) + ":";
    EXPECT_EQ(msg.rfind(where, 0), 0u) << msg;
    EXPECT_NE(msg.find(key), std::string::npos) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST(CostStage, BadHardwareKeysAreOneLineErrors) {
  if (!have_data()) GTEST_SKIP() << "no data";
  expect_error("cost = \"yes\"", 12, "hardware.cost", "true or false");
  expect_error("cost = true\nunits = [\"int2_mac\", \"int3_mac\"]", 13, "hardware.units", "unknown RTL unit 'int3_mac'");
  expect_error("cost = true\nunits = []", 13, "hardware.units", "non-empty array");
  expect_error("cost = true\nvectors = 0", 13, "hardware.vectors", ">= 1");
  expect_error("units = [\"int2_mac\"]", 12, "hardware.units", "add cost = true");
  expect_error("costs = true", 12, "hardware.costs", "unknown key");
}

TEST(CostStage, SweepCostEqualsRunCostAndRerunIsCached) {
  if (!have_data()) GTEST_SKIP() << "no data";
  if (!std::filesystem::exists(std::filesystem::path(cost::build_flow().synth_dir) / "int2_mac" / "config.cmake"))
    GTEST_SKIP() << "no synthesis flow (yosys, sta) in this build";
  ScratchDir d;
  write_text(d / "s.toml", small_spec("weights = \"int2\"",
                                      "[[points]]\nweights = \"mxint4\"\nacts = \"mxint8\"\n"
                                      "[hardware]\ncost = true\nvectors = 64\nclock_mhz = 125\n"));
  const SweepSpec spec = load_spec(d / "s.toml", MXLAB_DATA_DIR);
  const auto stages = make_stages(spec);
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[1]->name(), "cost");
  auto cost_stage = std::make_shared<CostStage>((d / "cache").string());
  auto ptq = std::make_shared<CountingPtq>();
  std::vector<std::string> log;
  auto sweep = [&](const char* out, const SweepSpec& sp) {
    SweepOptions o;
    o.out = d / out;
    o.stages = {ptq, cost_stage};
    o.log = [&](const std::string& l) { log.push_back(l); };
    run_sweep(sp, o);
    return read_store(o.out).points;
  };
  const std::vector<PointRecord> first = sweep("a.h5", spec);
  ASSERT_EQ(first.size(), 2u);
  const PointRecord& r = first[0];
  ASSERT_TRUE(r.ok()) << r.attrs.at("error");
  EXPECT_EQ(r.attrs.at("cost.unit"), "int2_mac");
  EXPECT_EQ(r.attrs.at("cost.formats"), "int2 x int2");
  EXPECT_EQ(r.attrs.at("cost.cached"), "no");  // a fresh cache
  EXPECT_NE(r.attrs.at("cost.flow").find("clock 8 ns, 64 vectors"), std::string::npos) << r.attrs.at("cost.flow");

  // the same numbers as mxlab cost's library for the same unit, format and options (now from the cache)
  const std::vector<cost::CostRow> direct = cost::run_cost(cost_stage->options(spec, *choose_unit(spec.points[0], {}).unit));
  ASSERT_EQ(direct.size(), 1u);
  const cost::CostRow& c = direct[0];
  EXPECT_TRUE(c.synth_cached && c.model.cached);
  EXPECT_EQ(c.clock_ns, 8.0);
  EXPECT_GT(c.area_um2, 0);
  EXPECT_GT(c.model.pj_per_mac(), 0);
  EXPECT_EQ(r.metric("cost.area_um2"), c.area_um2);
  EXPECT_EQ(r.metric("cost.cells"), double(c.cells));
  EXPECT_EQ(r.metric("cost.flops"), double(c.flops));
  EXPECT_EQ(r.metric("cost.nand2_eq"), c.nand2_eq);
  EXPECT_EQ(r.metric("cost.critical_path_ns"), c.critical_path_ns);
  EXPECT_EQ(r.metric("cost.max_clock_mhz"), c.fmax_mhz);
  EXPECT_EQ(r.metric("cost.pj_per_mac"), c.model.pj_per_mac());
  EXPECT_FALSE(r.metrics.count("cost.pj_per_mac_random"));

  // no unit for mxint4 x mxint8: NaN columns and the reason, not a failure
  const PointRecord& n = first[1];
  ASSERT_TRUE(n.ok()) << n.attrs.at("error");
  EXPECT_EQ(n.attrs.at("cost.unit"), "none");
  EXPECT_NE(n.attrs.at("cost.reason").find("mxint4 weights x mxint8"), std::string::npos);
  EXPECT_TRUE(n.metrics.count("cost.area_um2") && std::isnan(n.metric("cost.area_um2")));
  EXPECT_TRUE(std::isnan(n.metric("cost.pj_per_mac")));

  // a second sweep (new result file) takes everything from the cost cache, same numbers
  const std::vector<PointRecord> again = sweep("b.h5", spec);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].attrs.at("cost.cached"), "yes");
  for (const char* k : {"cost.area_um2", "cost.cells", "cost.max_clock_mhz", "cost.pj_per_mac"})
    EXPECT_EQ(again[0].metric(k), r.metric(k)) << k;
  EXPECT_EQ(ptq->runs, 4);

  // only [hardware] changes (clock 125 -> 100 MHz): the stored PTQ results stay, the cost stage reruns
  write_text(d / "s2.toml", small_spec("weights = \"int2\"", "[[points]]\nweights = \"mxint4\"\nacts = \"mxint8\"\n"
                                                            "[hardware]\ncost = true\nvectors = 64\nclock_mhz = 100\n"));
  log.clear();
  const std::vector<PointRecord> re = sweep("a.h5", load_spec(d / "s2.toml", MXLAB_DATA_DIR));
  EXPECT_EQ(ptq->runs, 4);  // no PTQ
  EXPECT_EQ(std::count_if(log.begin(), log.end(),
                          [](const std::string& l) { return l.find("only [hardware] differs") != std::string::npos; }),
            2);
  ASSERT_EQ(re.size(), 2u);
  ASSERT_TRUE(re[0].ok()) << re[0].attrs.at("error");
  EXPECT_EQ(re[0].metric("tinystories.kld_mean"), r.metric("tinystories.kld_mean"));
  EXPECT_EQ(re[0].layers.names, r.layers.names);
  EXPECT_EQ(re[0].attrs.at("ptq_end_time"), r.attrs.at("end_time"));
  EXPECT_EQ(re[0].attrs.at("cost.cached"), "no");  // synthesized at the new clock
  EXPECT_NE(re[0].attrs.at("cost.flow").find("clock 10 ns"), std::string::npos) << re[0].attrs.at("cost.flow");
  EXPECT_EQ(re[0].metric("cost.cells"), r.metric("cost.cells"));
  EXPECT_EQ(re[0].config.at("hardware").at("clock_mhz"), 100);
  EXPECT_EQ(re[1].attrs.at("cost.unit"), "none");
}

}  // namespace
}  // namespace mxlab::experiments
