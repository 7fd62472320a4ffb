// The sweep's accelerator stage (experiments/accel_stage.hpp): accel.* metrics equal `sim::simulate_layer` for the
// point's formats; a point no PE multiplies gets NaN metrics and a reason; [hardware] accelerator errors name the key.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "experiments/accel_stage.hpp"
#include "sim/functional.hpp"
#include "sim/plan.hpp"

namespace mxlab::experiments {
namespace {

// [hardware]: array32, one Llama-7B layer's decode step over a 1024-entry KV cache.
SweepSpec decode_7b_spec() {
  SweepSpec spec;
  spec.hardware.present = true;
  spec.hardware.accelerator = sim::shipped_arch("array32");
  spec.hardware.accel_shape = "7b";
  spec.hardware.accel_phase = "decode";
  spec.hardware.accel_seq = 1024;
  return spec;
}

TEST(AccelStage, MetricsEqualTheSimulation) {
  const SweepSpec spec = decode_7b_spec();
  algorithms::PtqSession session;
  AccelStage stage;
  SweepPoint p;
  p.weights = "mxfp4_e2m1", p.acts = "none";  // activations: the architecture's [formats] acts (mxint8)
  PointRecord rec;
  stage.run({spec, session, p, nullptr}, rec);
  sim::WorkloadOptions o;
  o.phase = sim::Phase::decode, o.seq = 1024, o.weights = Format::mxfp4_e2m1, o.acts = Format::mxint8;
  const sim::SimResult r = sim::simulate_layer(sim::load_arch(sim::shipped_arch("array32")), sim::named_shape("7b"), o, {});
  EXPECT_EQ(rec.metric("accel.cycles"), double(r.counters.cycles));
  EXPECT_EQ(rec.metric("accel.utilization"), r.utilization());
  EXPECT_EQ(rec.attrs["accel.unit"], "mx_dot_any");
  EXPECT_EQ(rec.attrs["accel.formats"], "mxfp4_e2m1 x mxint8");
  EXPECT_TRUE(std::isnan(rec.metric("accel.uj_per_token")));  // no cost stage: no energy, never guessed

  p.weights = "nvfp4";  // nvfp4 x mxint8: no catalog unit multiplies it
  PointRecord none;
  stage.run({spec, session, p, nullptr}, none);
  EXPECT_TRUE(std::isnan(none.metric("accel.cycles")));
  EXPECT_EQ(none.attrs["accel.unit"], "none");
  EXPECT_NE(none.attrs["accel.reason"].find("nvfp4 weights x mxint8 activations"), std::string::npos)
      << none.attrs["accel.reason"];
}

// A vq2_d2 point (no activation format) runs on the VQ MAC PE with int8 activations: cycles from its 8 x 2 lanes,
// weight bytes from vq2_d2's exact 2.125 bits per weight (codebooks included); vq3_d1 has no PE and says why.
TEST(AccelStage, VqWeightsRunOnTheVqMacPe) {
  const SweepSpec spec = decode_7b_spec();
  algorithms::PtqSession session;
  AccelStage stage;
  SweepPoint p;
  p.weights = "vq2_d2", p.acts = "none";
  PointRecord rec;
  stage.run({spec, session, p, nullptr}, rec);
  EXPECT_EQ(rec.attrs["accel.unit"], "vq_mac") << rec.attrs["accel.reason"];
  EXPECT_EQ(rec.attrs["accel.formats"], "vq2_d2 x int8");
  sim::WorkloadOptions o;
  o.phase = sim::Phase::decode, o.seq = 1024, o.weights = Format::vq2_d2, o.acts = Format::int8;
  const sim::SimResult r = sim::simulate_layer(sim::load_arch(sim::shipped_arch("array32")), sim::named_shape("7b"), o, {});
  EXPECT_EQ(r.pe.lanes, 16);
  EXPECT_EQ(r.pe.latency, 2);  // DEPTH 1 + 1
  EXPECT_GT(rec.metric("accel.cycles"), 0);
  EXPECT_EQ(rec.metric("accel.cycles"), double(r.counters.cycles));
  EXPECT_EQ(rec.metric("accel.dram_bytes"), r.counters.dram_read + r.counters.dram_write);
  // decode reads each projection's weights once at least: 2.125 bits per weight, not a 16-weight block's 40 bytes
  double weight_bytes = 0;
  for (const sim::GemmReport& g : r.gemms)
    if (g.gemm.w_fmt == Format::vq2_d2) weight_bytes += double(g.gemm.n) * double(g.gemm.k) * 2.125 / 8;
  EXPECT_DOUBLE_EQ(sim::packed_bytes(Format::vq2_d2, 16, 4096, 4096), 4096.0 * 4096 * 2.125 / 8);
  EXPECT_GE(rec.metric("accel.dram_bytes"), weight_bytes);
  EXPECT_LT(rec.metric("accel.dram_bytes"), 2 * weight_bytes);

  // the VQ PE is transaction level only: functional mode says so instead of computing
  sim::ArchConfig os = sim::load_arch(sim::shipped_arch("array32"));
  os.dataflow = sim::Dataflow::output_stationary;
  o.phase = sim::Phase::prefill, o.seq = 8;
  try {
    sim::functional_check(sim::simulate_layer(os, sim::named_shape("stories260k"), o, {}));
    ADD_FAILURE() << "functional mode ran a VQ PE";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("transaction level only"), std::string::npos) << e.what();
  }

  p.weights = "vq3_d1";
  PointRecord none;
  stage.run({spec, session, p, nullptr}, none);
  EXPECT_EQ(none.attrs["accel.unit"], "none");
  EXPECT_TRUE(std::isnan(none.metric("accel.cycles")));
  EXPECT_NE(none.attrs["accel.reason"].find("vq3_d1 weights"), std::string::npos) << none.attrs["accel.reason"];
}

TEST(AccelStage, SpecErrorsNameTheKey) {
  const auto dir = std::filesystem::temp_directory_path() / "mxlab_accel_stage_test";
  std::filesystem::create_directories(dir);
  const auto spec = dir / "s.toml";
  auto error = [&](const std::string& hw) {
    std::ofstream(spec) << "[model]\nmodel = \"models/stories260K.bin\"\ntokenizer = \"models/tok512.bin\"\n[grid]\nweights = [\"mxint8\"]\n[hardware]\n" << hw;
    try {
      load_spec(spec, MXLAB_DATA_DIR);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error("accelerator = \"array32\"\naccel_phase = \"train\"\n").find(":8:15: hardware.accel_phase: unknown phase"),
            std::string::npos) << error("accelerator = \"array32\"\naccel_phase = \"train\"\n");
  EXPECT_NE(error("accel_seq = 5\n").find("hardware.accel_seq: applies to the accelerator stage"), std::string::npos);
  EXPECT_NE(error("accelerator = \"array7\"\n").find("hardware.accelerator: "), std::string::npos);
  EXPECT_EQ(error("accelerator = \"array128\"\naccel_shape = \"70b\"\n"), "no error");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mxlab::experiments
