// The sweep's accelerator stage (experiments/accel_stage.hpp): accel.* metrics equal `sim::simulate_layer` for the
// point's formats; a point no PE multiplies gets NaN metrics and a reason; [hardware] accelerator errors name the key.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "experiments/accel_stage.hpp"

namespace mxlab::experiments {
namespace {

TEST(AccelStage, MetricsEqualTheSimulation) {
  SweepSpec spec;
  spec.hardware.present = true;
  spec.hardware.accelerator = sim::shipped_arch("array32");
  spec.hardware.accel_shape = "7b";
  spec.hardware.accel_phase = "decode";
  spec.hardware.accel_seq = 1024;
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
