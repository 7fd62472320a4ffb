// The PTQ library on a small synthetic model: step parameter parsing and its errors, exact bits per weight,
// per-layer weight formats, the recorded block scales, and the schemes a result is calibrated and deployed with.
#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <random>
#include <set>

#include "algorithms/ptq_run.hpp"
#include "formats/packed.hpp"
#include "tiny_model.hpp"

namespace mxlab::algorithms {
namespace {

using test::random_tokens;
using test::tiny_model;

PtqSession tiny_session() {
  return {tiny_model(), random_tokens(4 * 32, 3), 32, {{"text", random_tokens(2 * 32, 5)}}, {}};
}

model::QuantScheme weights_only(const char* format) {
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse(format);
  return s;
}

void expect_error(const std::string& pipeline, const std::string& message) {
  try {
    parse_pipeline(pipeline);
    ADD_FAILURE() << pipeline << " was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << pipeline << ": " << e.what();
  }
}

TEST(StepParams, ParsesKeysAndTypedValues) {
  const StepParams p = StepParams::parse("gptq:act_order=on:percdamp=0.05:blocksize=64");
  EXPECT_EQ(p.name(), "gptq");
  EXPECT_TRUE(p.flag("act_order", false));
  EXPECT_FALSE(p.flag("static_groups", false));  // absent: the default
  EXPECT_DOUBLE_EQ(p.number("percdamp", 0.01, 0, 1), 0.05);
  EXPECT_EQ(p.integer("blocksize", 128, 1, 4096), 64);
  EXPECT_EQ(p.describe(), "act_order=on:percdamp=0.05:blocksize=64");
  EXPECT_EQ(StepParams::parse("rtn").describe(), "");
  EXPECT_EQ(parse_pipeline("smoothquant:alpha=0.6+awq:grid=20:clip=off+gptq:act_order=on:static_groups=on").size(), 3u);
  EXPECT_EQ(parse_pipeline("smoothquant:alpha=search").size(), 2u);  // rtn appended
}

TEST(StepParams, ErrorsNameTheStepTheKeyAndWhatIsKnown) {
  expect_error("gptq:foo=1", "gptq: unknown parameter 'foo' (known: act_order, static_groups, percdamp, blocksize, hessian_from)");
  expect_error("awq:alpha=0.5", "awq: unknown parameter 'alpha' (known: grid, clip, act_quant)");
  expect_error("smoothquant+rtn:x=1", "rtn: unknown parameter 'x' (known: none)");
  expect_error("gptq:act_order=maybe", "gptq: act_order=maybe is not on or off");
  expect_error("smoothquant:alpha=2", "smoothquant: alpha=2 is not a number in [0, 1]");
  expect_error("smoothquant:alpha=0.5x", "smoothquant: alpha=0.5x is not a number");
  expect_error("awq:grid=0", "awq: grid=0 is not an integer in [1, 1000]");
  expect_error("awq:grid=2.5", "awq: grid=2.5 is not an integer");
  expect_error("gptq:act_order", "gptq: parameter 'act_order' is not key=value");
  expect_error("gptq:act_order=", "is not key=value");
  expect_error("gptq:act_order=on:act_order=off", "gptq: parameter 'act_order' given twice");
  expect_error(":act_order=on", "has no algorithm name");
  // The registry's order rules hold with parameters too.
  expect_error("gptq:act_order=on+awq", "nothing may follow the quantizer");
  expect_error("awq:clip=off+smoothquant:alpha=0.5", "must come before");
}

TEST(StepParams, ParametersReachTheAlgorithm) {
  auto run = [](const char* pipeline) {
    PtqContext ctx{std::make_shared<model::ModelWeights>(*tiny_model()), random_tokens(4 * 32, 3), 32, weights_only("int4"), {}, {}};
    run_pipeline(pipeline, ctx);
    return ctx.weights->layers[0].gate.weight;
  };
  EXPECT_NE(run("gptq"), run("gptq:act_order=on"));
  EXPECT_EQ(run("gptq"), run("gptq:act_order=off:blocksize=128"));  // the defaults spelled out
  EXPECT_NE(run("smoothquant"), run("smoothquant:alpha=0.8"));
  EXPECT_NE(run("awq:grid=1"), run("awq:grid=20"));  // grid 1: only ratio 0, scales of ones
}

TEST(WeightBits, HandComputed) {
  using model::TensorQuant;
  // mxfp4, K = 172, block 32: ceil(172/32) = 6 E8M0 scales of 8 bits + 172 elements of 4 bits per row.
  EXPECT_EQ(weight_bits(TensorQuant::parse("mxfp4_e2m1"), 1, 172), 6u * 8 + 172 * 4);
  EXPECT_EQ(weight_bits(TensorQuant::parse("mxfp4_e2m1"), 64, 172), 64u * (6 * 8 + 172 * 4));
  EXPECT_EQ(weight_bits(TensorQuant::parse("mxint8"), 1, 172), 6u * 8 + 172 * 8);
  EXPECT_EQ(weight_bits(TensorQuant::parse("int4"), 1, 172), 6u * 32 + 172 * 4);       // FP32 group scales
  EXPECT_EQ(weight_bits(TensorQuant::parse("int4_asym"), 1, 172), 6u * 40 + 172 * 4);  // + 8-bit zero point
  TensorQuant nv = TensorQuant::parse("nvfp4");  // UE4M3 per 16: ceil(172/16) = 11 scales
  EXPECT_EQ(weight_bits(nv, 2, 172), 2u * (11 * 8 + 172 * 4));
  nv.cfg.tensor_scale = true;  // one FP32 tensor scale per weight
  EXPECT_EQ(weight_bits(nv, 2, 172), 2u * (11 * 8 + 172 * 4) + 32);
  EXPECT_EQ(weight_bits(TensorQuant::parse("int4", 64), 1, 172), 3u * 32 + 172 * 4);  // group 64
  EXPECT_THROW(weight_bits(TensorQuant{}, 1, 172), std::invalid_argument);
}

TEST(PtqRun, PerLayerOverrideShowsInTheResultWithExactBits) {
  const PtqSession s = tiny_session();
  model::QuantScheme scheme = weights_only("mxfp4_e2m1");
  scheme.overrides["layers.1.down"].weight = model::TensorQuant::parse("mxint8");
  for (const char* pipeline : {"rtn", "gptq"}) {
    const PtqRunResult r = run_ptq(s, pipeline, scheme);
    ASSERT_EQ(r.linears.size(), 14u) << pipeline;  // 2 layers x q k v o gate up down; not the classifier
    std::uint64_t total = 0, count = 0;
    for (const LinearRecord& l : r.linears) {
      const bool odd = model::linear_name(l.id) == "layers.1.down";
      EXPECT_EQ(l.weight.describe(), odd ? "mxint8/32" : "mxfp4_e2m1/32") << model::linear_name(l.id);
      total += l.bits;
      count += static_cast<std::uint64_t>(l.rows * l.cols);
    }
    // By hand: q (32 x 32, one block per row) 32 * (8 + 32*4); down (32 x 44, two blocks) 32 * (2*8 + 44*4)
    // in mxfp4 and 32 * (2*8 + 44*8) in mxint8.
    EXPECT_EQ(r.linears[0].bits, 32u * (8 + 32 * 4));
    EXPECT_EQ(r.linears[6].bits, 32u * (2 * 8 + 44 * 4));
    EXPECT_EQ(r.linears[13].bits, 32u * (2 * 8 + 44 * 8));
    EXPECT_EQ(r.weight_bits, total);
    EXPECT_EQ(r.weight_count, count);
    EXPECT_DOUBLE_EQ(r.bits_per_weight(), static_cast<double>(total) / static_cast<double>(count));
    // The weights are on the grid of their own format.
    for (const LinearRecord& l : r.linears) {
      Matrix again = r.weights->linear(l.id).weight;
      model::quantize_rows(l.weight, again);
      EXPECT_EQ(again, r.weights->linear(l.id).weight) << pipeline << " " << model::linear_name(l.id);
    }
    Matrix as_fp4 = r.weights->layers[1].down.weight;
    model::quantize_rows(scheme.linear.weight, as_fp4);
    EXPECT_NE(as_fp4, r.weights->layers[1].down.weight);  // mxint8 values are not all mxfp4 values
    const nlohmann::json j = r;
    EXPECT_EQ(j["layers"][13]["name"], "layers.1.down");
    EXPECT_EQ(j["layers"][13]["weights"], "mxint8/32");
    EXPECT_EQ(j["layers"][13]["bits"], 32u * (2 * 8 + 44 * 8));
    EXPECT_DOUBLE_EQ(j["bits_per_weight"].get<double>(), r.bits_per_weight());
    EXPECT_EQ(j["gemm"], "fakequant");
    EXPECT_EQ(j["acc"], "fp32");
    EXPECT_TRUE(j["text"].contains("kld_mean"));
    EXPECT_NE(summary(r).find("layers.1.down: mxint8/32"), std::string::npos) << summary(r);
  }
}

// BlockQuantizer::quantize with given scale bytes: x encoded against the block scale, decoded.
float requantize(const FormatTraits& t, const WeightScales& s, Eigen::Index r, Eigen::Index c, float x) {
  std::array<std::uint8_t, 16> block{};
  const std::size_t sb = s.scale_bytes(), at = static_cast<std::size_t>(r * s.blocks_per_row() + c / s.block) * sb;
  std::copy_n(s.bytes.begin() + static_cast<std::ptrdiff_t>(at), sb, block.begin());
  const BlockContext ctx{t, s.quant.cfg.round, 0, 0, s.tensor_scale};
  t.encode_elements_ref(ctx, {&x, 1}, block.data());
  float y;
  t.decode_block(ctx, block.data(), {&y, 1});
  return y;
}

class RecordedScales : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};
TEST_P(RecordedScales, ReproduceTheQuantizedWeights) {
  const auto [pipeline, format] = GetParam();
  model::QuantScheme scheme = weights_only(format);
  scheme.linear.weight.cfg.tensor_scale = std::string(format) == "nvfp4";
  scheme.quantize_classifier = true;
  PtqContext ctx{std::make_shared<model::ModelWeights>(*tiny_model()), random_tokens(4 * 32, 3), 32, scheme, {}, {}};
  run_pipeline(pipeline, ctx);
  ASSERT_EQ(ctx.scales.size(), ctx.quantized_linears().size());
  const FormatTraits& t = traits(*scheme.linear.weight.format);
  for (const auto& [id, s] : ctx.scales) {
    const Matrix& w = ctx.weights->linear(id).weight;
    const std::size_t sb = static_cast<std::size_t>(t.scale_bits() / 8);
    ASSERT_EQ(s.bytes.size(), static_cast<std::size_t>(w.rows() * ((w.cols() + s.block - 1) / s.block)) * sb);
    EXPECT_EQ(s.tensor_scale != 1.0f, scheme.linear.weight.cfg.tensor_scale);
    std::set<std::vector<std::uint8_t>> distinct;
    for (auto it = s.bytes.begin(); it != s.bytes.end(); it += static_cast<std::ptrdiff_t>(sb))
      distinct.insert({it, it + static_cast<std::ptrdiff_t>(sb)});
    EXPECT_GT(distinct.size(), 1u) << model::linear_name(id);  // real per-block scales, not one value
    int mismatches = 0;
    for (Eigen::Index r = 0; r < w.rows(); ++r)
      for (Eigen::Index c = 0; c < w.cols(); ++c) mismatches += requantize(t, s, r, c, w(r, c)) != w(r, c);
    EXPECT_EQ(mismatches, 0) << pipeline << " " << format << " " << model::linear_name(id);
  }
}
INSTANTIATE_TEST_SUITE_P(
    Quantizers, RecordedScales,
    ::testing::Values(std::pair{"rtn", "mxfp4_e2m1"}, std::pair{"rtn", "int4"}, std::pair{"rtn", "int4_asym"},
                      std::pair{"rtn", "nvfp4"}, std::pair{"gptq", "mxfp4_e2m1"}, std::pair{"gptq", "int4"},
                      std::pair{"gptq", "nvfp4"}, std::pair{"gptq:act_order=on", "mxint4"},
                      std::pair{"gptq:static_groups=on", "int4_asym"}, std::pair{"awq+gptq", "mxfp6_e3m2"}),
    [](const auto& info) {
      std::string name = std::string(info.param.first) + "_" + info.param.second;
      for (char& ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return name;
    });

TEST(PtqContext, ExactModeDeploysWeightHooksAndCalibratesWithout) {
  model::QuantScheme scheme = weights_only("mxint4");
  scheme.linear.input = model::TensorQuant::parse("mxint8");
  scheme.overrides["layers.0.q"].weight = model::TensorQuant::parse("mxint8");
  scheme.overrides["layers.0.q"].input = model::TensorQuant::parse("mxint8");
  scheme.gemm = model::GemmMode::exact;
  scheme.acc = AccFormat::parse("bf16");
  PtqContext ctx{std::make_shared<model::ModelWeights>(*tiny_model()), random_tokens(4 * 32, 3), 32, scheme, {}, {}};
  const model::QuantScheme cal = ctx.calibration_scheme(), dep = ctx.deployed_scheme();
  EXPECT_EQ(cal.gemm, model::GemmMode::fakequant);
  EXPECT_FALSE(cal.for_linear({0, model::LinearKind::q}).weight.enabled());
  EXPECT_FALSE(cal.for_linear({1, model::LinearKind::q}).weight.enabled());
  EXPECT_TRUE(cal.for_linear({1, model::LinearKind::q}).input.enabled());
  EXPECT_EQ(dep.gemm, model::GemmMode::exact);
  EXPECT_EQ(dep.acc, AccFormat::parse("bf16"));
  EXPECT_EQ(dep.for_linear({0, model::LinearKind::q}).weight.describe(), "mxint8/32");
  EXPECT_EQ(dep.for_linear({1, model::LinearKind::q}).weight.describe(), "mxint4/32");
  ctx.scheme.gemm = model::GemmMode::fakequant;  // fakequant: the weights are quantized in place, no weight hooks
  EXPECT_FALSE(ctx.deployed_scheme().for_linear({1, model::LinearKind::q}).weight.enabled());
  // Exact GEMMs (FP32 accumulator) on the recorded scales multiply the codes the quantizer chose: the logits
  // match the fakequant deployment to float rounding.
  ctx.scheme.acc = AccFormat{};
  for (const char* pipeline : {"rtn", "gptq:act_order=on"}) {
    PtqContext run = ctx;
    run.weights = std::make_shared<model::ModelWeights>(*ctx.weights);
    run.scheme.gemm = model::GemmMode::exact;
    run_pipeline(pipeline, run);
    model::Runtime exact = run.deployed_runtime();  // given every recorded scale
    run.scheme.gemm = model::GemmMode::fakequant;
    model::Runtime fake = run.deployed_runtime();
    const std::vector<int> t = random_tokens(16, 1);
    const Matrix a = exact.forward(t), b = fake.forward(t);
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-3f * b.cwiseAbs().maxCoeff()) << pipeline;
    run.scheme.gemm = model::GemmMode::exact;  // a BF16 accumulator: the exact path is live, on the same codes
    run.scheme.acc = AccFormat::parse("bf16");
    const Matrix c = run.deployed_runtime().forward(t);
    EXPECT_GT((c - b).cwiseAbs().maxCoeff(), 0.0f) << pipeline;
    EXPECT_LT((c - b).cwiseAbs().maxCoeff(), 0.05f * b.cwiseAbs().maxCoeff()) << pipeline;
  }
}

}  // namespace
}  // namespace mxlab::algorithms
