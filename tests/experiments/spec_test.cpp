// Sweep specs: the grid expands in order, listed points follow, and every error names file, line and key.
#include <gtest/gtest.h>

#include "experiments/sweep_spec.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;

SweepSpec load(const ScratchDir& d, const std::string& text) {
  write_text(d / "spec.toml", text);
  return load_spec(d / "spec.toml", MXLAB_DATA_DIR);
}

// The error message of loading `text`; it must start with "<file>:<line>:" and contain `key` and `what`.
void expect_error(const std::string& text, int line, const std::string& key, const std::string& what) {
  ScratchDir d;
  try {
    load(d, text);
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const SpecError& e) {
    const std::string msg = e.what();
    const std::string where = (d / "spec.toml").string() + ":" + std::to_string(line) + ":";
    EXPECT_EQ(msg.rfind(where, 0), 0u) << msg << "\n(expected to start with " << where << ")";
    EXPECT_NE(msg.find(key), std::string::npos) << msg << "\n(expected key " << key << ")";
    EXPECT_NE(msg.find(what), std::string::npos) << msg << "\n(expected " << what << ")";
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
}

TEST(SweepSpec, GridExpandsLastKeyFastestThenListedPoints) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  const SweepSpec s = load(d, small_spec("weights = [\"mxint8\", \"mxint4\"]\nacts = [\"none\", \"mxint8\"]\npipeline = \"gptq\"",
                                         "[[points]]\nweights = \"nvfp4\"\nacts = \"nvfp4\"\ngemm = \"exact\"\nacc = \"bf16\"\n"
                                         "tensor_scale = true\nblock = 16\n"));
  ASSERT_EQ(s.points.size(), 5u);
  EXPECT_EQ(s.points[0].name(), "mxint8__none__gptq");
  EXPECT_EQ(s.points[1].name(), "mxint8__mxint8__gptq");
  EXPECT_EQ(s.points[2].name(), "mxint4__none__gptq");
  EXPECT_EQ(s.points[3].name(), "mxint4__mxint8__gptq");
  EXPECT_EQ(s.points[4].name(), "nvfp4__nvfp4__rtn__block=16__gemm=exact__acc=bf16__tensor_scale");
  EXPECT_TRUE(s.points[4].scheme().linear.weight.cfg.tensor_scale);
  EXPECT_EQ(s.session.eval_tokens, 1024u);
  EXPECT_EQ(s.session.calib.samples, 2);
  EXPECT_EQ(s.session.calib.length, 64);
  EXPECT_EQ(s.session.calib.seed, 7u);
  EXPECT_TRUE(s.session.calib.text.empty());
  ASSERT_EQ(s.session.eval_texts.size(), 2u);  // the default texts
  EXPECT_EQ(s.session.eval_texts[0].first, "tinystories");
  EXPECT_EQ(s.name, "spec");
  EXPECT_FALSE(s.hardware.present);
}

// VQ weight formats are rows of the format table: a sweep names them like any other format.
TEST(SweepSpec, NamesVqAndInt3WeightFormats) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  const SweepSpec s = load(d, small_spec("weights = [\"vq2_d2\", \"vq3_d1\", \"int3\"]\npipeline = \"gptvq\"",
                                         "[[points]]\nweights = \"int3_asym\"\npipeline = \"gptq\"\nblock = 128\n"));
  ASSERT_EQ(s.points.size(), 4u);
  EXPECT_TRUE(s.points[0].scheme().linear.weight.format == Format::vq2_d2);
  EXPECT_TRUE(s.points[1].scheme().linear.weight.format == Format::vq3_d1);
  EXPECT_TRUE(s.points[2].scheme().linear.weight.format == Format::int3);
  EXPECT_TRUE(s.points[3].scheme().linear.weight.format == Format::int3_asym);
  EXPECT_EQ(s.points[3].scheme().linear.weight.cfg.block, 128);
}

TEST(SweepSpec, ShippedSpecsParse) {
  if (!have_data()) GTEST_SKIP() << "no data";
  const fs::path dir = fs::path(MXLAB_SOURCE_DIR) / "experiments/specs";
  EXPECT_EQ(load_spec(dir / "tiny.toml", MXLAB_DATA_DIR).points.size(), 5u);
  const SweepSpec def = load_spec(dir / "default.toml", MXLAB_DATA_DIR);
  EXPECT_EQ(def.points.size(), 60u);
  EXPECT_TRUE(def.hardware.present);
  EXPECT_EQ(def.hardware.clock_mhz, 100);
  EXPECT_EQ(fs::path(def.hardware.accelerator).filename(), "array32.toml");  // the default sweep times every point
  EXPECT_EQ(def.hardware.accel_shape, "7b");
  EXPECT_EQ(load_spec(dir / "seed_ptq_table.toml", MXLAB_DATA_DIR).points.size(), 70u);
}

TEST(SweepSpec, ErrorsNameFileLineAndKey) {
  if (!have_data()) GTEST_SKIP() << "no data";
  // Line numbers count from 1; small_spec's [grid] body starts on line 10.
  expect_error(small_spec("weights = [\"mxint8\", \"mxfp5\"]"), 10, "grid.weights", "mxfp5");
  expect_error(small_spec("weights = \"mxint8\"\npipeline = \"gptq:act_order=maybe\""), 11, "grid.pipeline", "act_order");
  expect_error(small_spec("weights = \"mxint8\"\npipline = \"gptq\""), 11, "grid.pipline", "unknown key");
  expect_error(small_spec("weights = \"mxint8\"\nblock = -3"), 11, "grid.block", ">= 0");
  expect_error(small_spec("weights = \"mxint8\"\nacc = \"fp33\""), 11, "grid.acc", "fp33");
  expect_error(small_spec("weights = \"mxint8\"\ntensor_scale = \"yes\""), 11, "grid.tensor_scale", "true or false");
  expect_error(small_spec("weights = []"), 10, "grid.weights", "empty array");
  expect_error(small_spec("weights = \"mxint8\"\nacts = \"none\"\ngemm = \"exact\""), 9, "mxint8__none__rtn__gemm=exact",
               "activation format");
  expect_error(small_spec("weights = \"mxint8\"", "[[points]]\nweights = \"mxint8\"\n"), 11, "mxint8__none__rtn", "repeats");
  expect_error(small_spec("weights = \"mxint8\"", "[[points]]\nacts = \"mxint8\"\n"), 11, "points.weights", "missing");
  expect_error(small_spec("weights = \"mxint8\"", "[hardware]\nclock_mhz = -1\n"), 12, "hardware.clock_mhz", "> 0");
  expect_error(small_spec("weights = \"mxint8\"", "[hardware]\nliberty = \"pdk/nope.lib\"\n"), 12, "hardware.liberty",
               "no such file");
  expect_error("[model]\nmodel = \"models/none.bin\"\n[grid]\nweights = \"mxint8\"\n", 2, "model.model", "no such file");
  expect_error("[eval]\ntokens = \"many\"\n[grid]\nweights = \"mxint8\"\n", 2, "eval.tokens", "integer");
  expect_error("[grid]\nweights = \"mxint8\"\nweights = \"mxint4\"\n", 3, "(syntax)", "weights");
  expect_error("[gird]\nweights = \"mxint8\"\n", 1, "gird", "unknown key");
  expect_error("[sweep]\nname = \"x\"\n", 1, "grid", "no points");
}

}  // namespace
}  // namespace mxlab::experiments
