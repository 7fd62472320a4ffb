// Exact export of a PTQ result (ptq --out): the packed codes and scales the algorithm chose, and the scheme, in a
// Hugging Face safetensors checkpoint. Loading it gives the same weights and the same logits, bit for bit, in
// fakequant and exact GEMM modes, for MX, NVFP4 with a tensor scale and asymmetric INT (FP32 scale + zero point).
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <filesystem>

#include "algorithms/ptq_run.hpp"
#include "model/hf_format.hpp"
#include "tiny_model.hpp"

namespace mxlab::algorithms {
namespace {

namespace fs = std::filesystem;

using test::random_tokens;

PtqSession export_session(std::vector<EvalText> texts) {
  PtqSession s;
  s.fp32 = test::tiny_model(48, 21);  // GQA (q and k rows RoPE-permuted on export); 48: a partial block per row
  s.calib = random_tokens(4 * 32, 3);
  s.ctx = 32;
  s.texts = std::move(texts);
  return s;
}

// The runtime a scheme and its recorded scales deploy (PtqContext::deployed_runtime's rule).
model::Runtime deployed(std::shared_ptr<const model::ModelWeights> w, const model::QuantizedCheckpoint& q) {
  model::Runtime rt(std::move(w), q.scheme);
  if (q.scheme.gemm == model::GemmMode::exact)
    for (const auto& [id, p] : q.linears) rt.set_weight_scales(id, p.scales, p.tensor_scale);
  return rt;
}

struct Case {
  const char *weights, *acts, *pipeline;
  model::GemmMode gemm;
  bool tensor_scale;
  bool per_row = false;  // weights per output channel, activations per token (--block row --act-block row)
};

class ExportRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(ExportRoundTrip, ReloadGivesTheSameWeightsAndLogitsBitForBit) {
  const Case& k = GetParam();
  const PtqSession session = export_session({{"text", random_tokens(2 * 32, 5)}});
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse(k.weights, k.per_row ? model::kBlockRow : 0);
  s.linear.input = model::TensorQuant::parse(k.acts, k.per_row ? model::kBlockRow : 0);
  s.linear.weight.cfg.tensor_scale = s.linear.input.cfg.tensor_scale = k.tensor_scale;
  s.gemm = k.gemm;
  const PtqRunResult r = run_ptq(session, k.pipeline, s);
  const model::QuantizedCheckpoint q = quantized_checkpoint(r);

  const fs::path dir = fs::temp_directory_path() / ("mxlab_export_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                                                     "_" + std::string(k.weights) + "_" + k.pipeline);
  fs::remove_all(dir);
  model::save_hf(*r.weights, dir, model::Dtype::f32, &q);
  const auto loaded = std::make_shared<model::ModelWeights>(model::load_hf(dir));
  const std::optional<model::QuantizedCheckpoint> back = model::read_quantization(dir);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->scheme.describe(), r.deployed.describe());
  EXPECT_EQ(model::scheme_to_json(back->scheme), model::scheme_to_json(q.scheme));  // overrides, static scales too
  ASSERT_EQ(back->linears.size(), q.linears.size());
  for (const auto& [id, p] : q.linears) {
    const model::PackedLinear& b = back->linears.at(id);
    EXPECT_EQ(b.scales, p.scales) << model::linear_name(id);
    EXPECT_EQ(b.block, p.block);
    EXPECT_EQ(b.tensor_scale, p.tensor_scale);
    EXPECT_TRUE(loaded->linear(id).weight == r.weights->linear(id).weight) << model::linear_name(id);
  }
  const std::vector<int> t = random_tokens(24, 9);
  model::Runtime want = deployed(r.weights, q), got = deployed(loaded, *back);
  const model::Matrix a = want.forward(t), b = got.forward(t);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, ExportRoundTrip,
    ::testing::Values(Case{"mxint4", "none", "gptq", model::GemmMode::fakequant, false},
                      Case{"mxint4", "mxint8", "awq+gptq", model::GemmMode::exact, false},
                      Case{"nvfp4", "nvfp4", "rtn", model::GemmMode::exact, true},
                      Case{"int4_asym", "int8", "gptq", model::GemmMode::exact, false},
                      // VQ formats (codebook + indices per block): GPTVQ's own codebooks, and the reference fit (RTN)
                      Case{"vq3_d1", "mxint8", "gptvq:iters=10", model::GemmMode::exact, false},
                      Case{"vq2_d2", "none", "gptvq:iters=10:update=off", model::GemmMode::fakequant, false},
                      Case{"vq2_d2", "int8", "rtn", model::GemmMode::exact, false},
                      // LLM-FP4 with static per-tensor activation scales (TensorQuant::static_scale) in the scheme
                      Case{"fp4_e2m1", "fp4_e2m1", "llmfp4:acts=tensor:n=11:tokens=64", model::GemmMode::fakequant, false, true},
                      Case{"fp4_e2m1", "fp8_e4m3", "llmfp4:acts=tensor:rounds=1:n=11:tokens=64", model::GemmMode::exact, false, true}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string n = std::string(i.param.weights) + "_" + i.param.pipeline;
      for (char& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return n;
    });

// A weight that is not on the grid of its recorded scale cannot be exported as codes: the save says which.
TEST(Export, RefusesWeightsOffTheirScalesGrid) {
  const PtqSession session = export_session({});
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse("mxint4");
  const PtqRunResult r = run_ptq(session, "rtn", s);
  auto w = std::make_shared<model::ModelWeights>(*r.weights);
  w->layers[1].down.weight(3, 5) += 1e-3f;
  const model::QuantizedCheckpoint q = quantized_checkpoint(r);
  const fs::path dir = fs::temp_directory_path() / "mxlab_export_off_grid";
  try {
    model::save_hf(*w, dir, model::Dtype::f32, &q);
    ADD_FAILURE() << "an off-grid weight was exported";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("row 3, column 5"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mxlab::algorithms
