// GPTQ's staged capture (issue 15: one pass of a window through each layer) against the driver it replaced, which
// re-ran the whole layer over every window for each group's inputs and once more to advance: the same Hessians and
// the same quantized weights bit for bit, for GPTQ (with and without activation formats, hessian_from=quantized,
// KV-cache and attention operand hooks, a group left in FP) and GPTVQ, on stories260K and the tiny GQA model.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "algorithms/gptq.hpp"
#include "algorithms/gptvq.hpp"
#include "algorithms/layer_io.hpp"
#include "model/load_model.hpp"
#include "model/text_corpus.hpp"
#include "model/tokenizer.hpp"
#include "tiny_model.hpp"

namespace mxlab::algorithms {
namespace {

namespace fs = std::filesystem;

// The driver before staged capture (test only): every group's Hessian from LayerInputs::observe, which runs the
// whole layer over every window, then LayerInputs::advance runs it once more.
void quantize_sequentially_unstaged(PtqContext& ctx, bool quantized_inputs, const QuantizeLinearFn& quantize) {
  model::Runtime rt(ctx.weights, ctx.calibration_scheme());
  LayerInputs inputs(rt, ctx.calib, ctx.ctx);
  std::ostringstream line;
  auto group = [&](int layer, const std::vector<LinearKind>& kinds) {
    bool any = false;
    for (LinearKind k : kinds) any = any || ctx.weight_format({layer, k}).enabled();
    if (!any) return;
    rt.clear_weight_cache();
    const LinearId first{layer, kinds.front()};
    const model::TensorQuant act = ctx.scheme.for_linear(first).input;
    const Eigen::MatrixXd H = input_hessian(rt, inputs, first, quantized_inputs ? &act : nullptr);
    for (LinearKind k : kinds)
      if (ctx.weight_format({layer, k}).enabled()) quantize({layer, k}, H, line);
  };
  for (int l = 0; l < ctx.weights->config.n_layers; ++l) {
    for (const auto& kinds : {std::vector{LinearKind::q, LinearKind::k, LinearKind::v}, std::vector{LinearKind::o},
                              std::vector{LinearKind::gate, LinearKind::up}, std::vector{LinearKind::down}})
      group(l, kinds);
    rt.clear_weight_cache();
    inputs.advance(rt);
  }
  if (ctx.weight_format({-1, LinearKind::classifier}).enabled()) {
    ctx.weights->config.shared_classifier = false;
    group(-1, {LinearKind::classifier});
  }
}

struct Case {
  const char* name;
  const char *weights, *acts;
  bool hessian_quantized, attention_hooks, vq, classifier, down_left_fp;
};

// The quantized weights and every Hessian handed to the quantizer, per linear.
struct Result {
  std::map<LinearId, Matrix> weights;
  std::map<LinearId, Eigen::MatrixXd> hessians;
};

Result run(const Case& k, std::shared_ptr<const model::ModelWeights> fp32, const std::vector<int>& calib, int ctx_len,
           bool staged) {
  PtqContext ctx;
  ctx.weights = std::make_shared<model::ModelWeights>(*fp32);
  ctx.calib = calib;
  ctx.ctx = ctx_len;
  ctx.scheme.linear.weight = model::TensorQuant::parse(k.weights);
  ctx.scheme.linear.input = model::TensorQuant::parse(k.acts);
  ctx.scheme.quantize_classifier = k.classifier;
  if (k.attention_hooks) {
    ctx.scheme.kv_cache = model::TensorQuant::parse("mxfp8_e4m3");
    ctx.scheme.attn_scores = model::TensorQuant::parse("mxint8");
  }
  if (k.down_left_fp) ctx.scheme.overrides["layers.1.down"] = {};  // a group skipped: its inputs still computed
  Result r;
  const QuantizeLinearFn quantize = [&](LinearId id, const Eigen::MatrixXd& H, std::ostream&) {
    model::Linear& lin = ctx.weights->linear(id);
    r.hessians[id] = H;
    if (k.vq) {
      GptvqOptions o;
      o.iters = 3;
      o.columns = 32;
      o.seed = static_cast<std::uint64_t>(id.layer + 1) * 16 + static_cast<std::uint64_t>(id.kind);
      lin.weight = gptvq_quantize(lin.weight, H, o).weight;
    } else {
      const model::TensorQuant quant = ctx.weight_format(id);
      lin.weight = gptq_quantize(lin.weight, H, quant.in_stream(model::quant_stream(id, 0))).weight;
    }
    r.weights[id] = lin.weight;
  };
  if (staged)
    quantize_sequentially(ctx, "gptq", k.hessian_quantized, quantize);
  else
    quantize_sequentially_unstaged(ctx, k.hessian_quantized, quantize);
  return r;
}

template <class M>
void expect_same_bits(const std::map<LinearId, M>& a, const std::map<LinearId, M>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (const auto& [id, m] : a) {
    const M& o = b.at(id);
    ASSERT_EQ(m.rows(), o.rows()) << what << " " << model::linear_name(id);
    ASSERT_EQ(m.cols(), o.cols()) << what << " " << model::linear_name(id);
    EXPECT_EQ(std::memcmp(m.data(), o.data(), sizeof(typename M::Scalar) * static_cast<std::size_t>(m.size())), 0)
        << what << " " << model::linear_name(id);
  }
}

void expect_staged_equals_unstaged(const Case& k, std::shared_ptr<const model::ModelWeights> fp32,
                                   const std::vector<int>& calib, int ctx_len) {
  const Result unstaged = run(k, fp32, calib, ctx_len, false), staged = run(k, fp32, calib, ctx_len, true);
  const std::size_t linears = 7u * static_cast<std::size_t>(fp32->config.n_layers) - (k.down_left_fp ? 1 : 0) +
                              (k.classifier ? 1 : 0);
  EXPECT_EQ(staged.weights.size(), linears) << k.name;
  expect_same_bits(unstaged.hessians, staged.hessians, k.name);
  expect_same_bits(unstaged.weights, staged.weights, k.name);
}

const Case kCases[] = {
    {"gptq", "mxint4", "none", false, false, false, false, false},
    {"gptq_acts", "mxfp4_e2m1", "mxint8", false, true, false, true, false},
    {"gptq_hessian_quantized", "mxint4", "mxfp8_e4m3", true, false, false, false, true},
    {"gptvq_acts", "mxint4", "mxint8", false, false, true, false, false},
};

TEST(GptqStaged, EqualsUnstagedBitForBitOnStories260K) {
  const fs::path data(MXLAB_DATA_DIR);
  const auto fp32 = std::make_shared<const model::ModelWeights>(model::load_model(data / "models/stories260K.bin"));
  const model::Tokenizer tok(data / "models/tok512.bin");
  std::vector<int> calib = model::load_eval_tokens(tok, data / "text/tinystories-valid-dev.txt");
  calib.resize(3 * 128);
  for (const Case& k : kCases) expect_staged_equals_unstaged(k, fp32, calib, 128);
}

TEST(GptqStaged, EqualsUnstagedBitForBitOnTinyGqaModel) {
  const auto fp32 = test::tiny_model(44, 17);  // GQA, hidden 44: a partial block in down's rows
  const std::vector<int> calib = test::random_tokens(5 * 32, 4);
  for (const Case& k : kCases) expect_staged_equals_unstaged(k, fp32, calib, 32);
}

TEST(GptqStaged, RefusesMisuse) {
  const auto w = test::tiny_model();
  model::Runtime rt(w);
  const std::vector<int> calib = test::random_tokens(32, 1);
  LayerInputs inputs(rt, calib, 32);
  for (int l = 0; l < w->config.n_layers; ++l)
    for (StagedLayer s(rt, inputs); !s.done(); s.next(rt)) EXPECT_EQ(inputs.layer(), l);
  EXPECT_EQ(inputs.layer(), w->config.n_layers);
  EXPECT_THROW(StagedLayer(rt, inputs), std::logic_error);
}

}  // namespace
}  // namespace mxlab::algorithms
