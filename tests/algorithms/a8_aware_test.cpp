// A8-aware PTQ: GPTQ's Hessian from the quantized layer inputs (hessian_from=quantized) and AWQ's scale search
// judged with activation quantization on (act_quant=on), each against a direct computation.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "algorithms/awq.hpp"
#include "algorithms/layer_io.hpp"
#include "algorithms/ptq.hpp"

namespace mxlab::algorithms {
namespace {

// Channels 3 and 17 of the attention input and 5 of the FFN input carry 20-30x larger activations.
std::shared_ptr<model::ModelWeights> outlier_model() {
  model::ModelConfig c;
  c.dim = 32, c.hidden_dim = 48, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 4, c.vocab_size = 64, c.seq_len = 32;
  c.head_size = 8;
  auto w = std::make_shared<model::ModelWeights>(model::ModelWeights::random(c, 7));
  for (auto& L : w->layers) { L.rms_att(3) *= 30.f; L.rms_att(17) *= 30.f; L.rms_ffn(5) *= 20.f; }
  return w;
}

std::vector<int> tokens(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int> t(n);
  for (auto& v : t) v = static_cast<int>(rng() % 64);
  return t;
}

PtqContext context(const char* weights, const char* acts) {
  PtqContext ctx;
  ctx.weights = outlier_model();
  ctx.calib = tokens(4 * 32, 3);
  ctx.ctx = 32;
  ctx.scheme.linear.weight = model::TensorQuant::parse(weights);
  ctx.scheme.linear.input = model::TensorQuant::parse(acts);
  return ctx;
}

TEST(GptqHessian, FromQuantizedInputsIsTheHessianOfTheQuantizedRows) {
  const PtqContext ctx = context("mxint4", "mxint4");
  model::Runtime rt(ctx.weights, ctx.calibration_scheme());
  LayerInputs inputs(rt, ctx.calib, ctx.ctx);
  inputs.advance(rt);  // layer 1: inputs through a layer with quantized activations
  const model::TensorQuant act = ctx.scheme.linear.input;
  for (const LinearId id : {LinearId{1, LinearKind::q}, LinearId{1, LinearKind::down}}) {
    Matrix x = record_inputs(rt, inputs, id);
    model::quantize_rows(act, x, model::quant_stream(id, 1, 0));
    const Eigen::MatrixXd xd = x.cast<double>();
    const Eigen::MatrixXd direct = 2.0 * xd.transpose() * xd / static_cast<double>(x.rows());
    const Eigen::MatrixXd h = input_hessian(rt, inputs, id, &act), h_float = input_hessian(rt, inputs, id);
    EXPECT_LT((h - direct).cwiseAbs().maxCoeff(), 1e-12 * direct.cwiseAbs().maxCoeff()) << linear_name(id);
    EXPECT_GT((h - h_float).cwiseAbs().maxCoeff(), 1e-3 * h_float.cwiseAbs().maxCoeff()) << linear_name(id);
  }
}

TEST(GptqHessian, QuantizedChangesGptqOnlyWithAnActivationFormat) {
  auto quantized_weights = [](const char* acts, const char* step) {
    PtqContext ctx = context("mxint4", acts);
    run_pipeline(step, ctx);
    return ctx.weights->linear({1, LinearKind::down}).weight;
  };
  EXPECT_EQ(quantized_weights("none", "gptq:hessian_from=quantized"), quantized_weights("none", "gptq"));
  EXPECT_NE(quantized_weights("mxint4", "gptq:hessian_from=quantized"), quantized_weights("mxint4", "gptq"));
  EXPECT_EQ(quantized_weights("mxint4", "gptq:hessian_from=float"), quantized_weights("mxint4", "gptq"));
  EXPECT_THROW(parse_pipeline("gptq:hessian_from=fp32"), std::invalid_argument);
}

// The o group (a single linear, v -> o): every candidate's loss is the error of Q_a(x / s) Q(W s)^T against
// x W^T, and the chosen scale is the candidate with the least such loss (here not llm-awq's choice).
TEST(AwqActQuant, PicksTheScaleWithTheLeastQuantizedActivationLoss) {
  PtqContext ctx = context("mxint4", "mxint4");
  model::Runtime fp(ctx.weights);
  LayerInputs inputs(fp, ctx.calib, ctx.ctx);
  const LinearId id{0, LinearKind::o};
  const Matrix x = record_inputs(fp, inputs, id);
  const int grid = 10;
  const AwqScaleSearch on = awq_search_scales(ctx, grid, 0, {LinearKind::o}, AwqModule::linear, x, true);
  const AwqScaleSearch off = awq_search_scales(ctx, grid, 0, {LinearKind::o}, AwqModule::linear, x, false);
  const model::Linear& lin = ctx.weights->linear(id);
  const Matrix org = x * lin.weight.transpose();
  const Eigen::VectorXf x_mean = x.cwiseAbs().colwise().mean().transpose();
  ASSERT_EQ(on.losses.size(), static_cast<std::size_t>(grid));
  std::vector<double> direct;
  for (int r = 0; r < grid; ++r) {
    Vector s = x_mean.array().pow(static_cast<float>(r) / grid).max(1e-4f).matrix();
    s /= std::sqrt(s.maxCoeff() * s.minCoeff());
    Matrix ws = lin.weight, xs = x;
    ws.array().rowwise() *= s.transpose().array();
    model::quantize_rows(ctx.weight_format(id), ws, model::quant_stream(id, 0));
    xs.array().rowwise() /= s.transpose().array();
    model::quantize_rows(ctx.scheme.linear.input, xs, model::quant_stream(id, 1, 0));
    const double loss = (org - xs * ws.transpose()).squaredNorm() / static_cast<double>(org.size());
    EXPECT_NEAR(on.losses[r], loss, 1e-5 * loss) << r;  // float sums in another order
    direct.push_back(loss);
  }
  EXPECT_EQ(on.ratio, std::min_element(direct.begin(), direct.end()) - direct.begin());
  EXPECT_NE(on.ratio, off.ratio);  // the activation format moves the choice here
  EXPECT_THROW(parse_pipeline("awq:act_quant=maybe"), std::invalid_argument);
}

// SmoothQuant only helps by easing activation quantization: without an activation format it warns.
TEST(SmoothQuantWarning, OnlyWithoutAnActivationFormat) {
  for (const char* acts : {"none", "mxint8"}) {
    PtqContext ctx = context("mxint4", acts);
    std::string log;
    ctx.log = [&log](const std::string& line) { log += line + "\n"; };
    make_algorithm("smoothquant")->run(ctx);
    EXPECT_EQ(log.find("smoothquant: warning: no activation format") != std::string::npos, std::string(acts) == "none")
        << acts << ": " << log;
  }
}

}  // namespace
}  // namespace mxlab::algorithms
