// `--gemm exact` in the runtime: one real stories260K layer within the rounding bound of the float32 GEMM,
// whole-model agreement with fakequant at an FP32 accumulator, and the accumulator as an accuracy axis.
#include <gtest/gtest.h>

#include <cmath>

#include "model/eval.hpp"
#include "model/load_model.hpp"
#include "model/text_corpus.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

struct ExactMode : ::testing::Test {
  static void SetUpTestSuite() {
    weights = std::make_shared<ModelWeights>(load_model(test::stories260k()));
    const Tokenizer tok(test::tok512());
    tokens = load_eval_tokens(tok, test::data_path("text/tinystories-valid-dev.txt"));
    tokens.resize(8 * 256);
  }
  static QuantScheme scheme(const char* w, const char* a, GemmMode g, const char* acc = "fp32") {
    QuantScheme s;
    s.linear.weight = TensorQuant::parse(w);
    s.linear.input = TensorQuant::parse(a);
    s.gemm = g;
    s.acc = AccFormat::parse(acc);
    return s;
  }
  static inline std::shared_ptr<ModelWeights> weights;
  static inline std::vector<int> tokens;
};

// Both GEMMs multiply the same dequantized elements; each differs from the exact real sum by at most its
// roundings: the float32 GEMM K of them (gamma_K), the exact path one per block. So
// |exact - fakequant| <= (K + K / block) * 2^-24 * sum_i |a_i w_i| (to first order), per output.
TEST_F(ExactMode, RealLayerWithinTheRoundingBoundOfTheFloatGemm) {
  for (const auto& [wf, af] : {std::pair{"mxint4", "mxint8"}, std::pair{"mxfp4_e2m1", "mxfp8_e4m3"}}) {
    Runtime fake(weights, scheme(wf, af, GemmMode::fakequant)), exact(weights, scheme(wf, af, GemmMode::exact));
    Runtime fp32(weights);
    ForwardOptions o;
    o.n_layers = 1;  // the residual stream after layer 0: real inputs of layer 1's down projection come later
    const std::vector<int> toks(tokens.begin(), tokens.begin() + 64);
    const Matrix x = fp32.forward(toks, o);
    const Matrix xb = rms_norm(x, weights->layers[1].rms_ffn, weights->config.norm_eps);
    for (LinearKind kind : {LinearKind::gate, LinearKind::up}) {
      const LinearId id{1, kind};
      const Matrix yf = fake.linear(id, xb), ye = exact.linear(id, xb);
      Matrix aq = xb;
      quantize_rows(fake.scheme().linear.input, aq, quant_stream(id, 1, 0));
      const Matrix mag = aq.cwiseAbs() * fake.effective_weight(id).cwiseAbs().transpose();
      const double K = static_cast<double>(xb.cols()), gamma = (K + K / 32) * std::ldexp(1.0, -24) * 1.01;
      double worst = 0;
      for (Eigen::Index i = 0; i < yf.size(); ++i) {
        const double d = std::fabs(double(yf.data()[i]) - ye.data()[i]), bound = gamma * mag.data()[i];
        worst = std::max(worst, bound > 0 ? d / bound : d);
      }
      EXPECT_LE(worst, 1.0) << wf << " x " << af << " " << kind_name(kind);
    }
  }
}

// The runtime's exact path (packed weights cached once, activations through the one-pass encoder where the integer
// kernel covers the pair, else ExactMatrix) equals exact_gemm of the reference-quantized operands bit for bit, on
// the first call and on later calls that reuse the packed weights.
TEST_F(ExactMode, RuntimeLinearEqualsExactGemmOfTheReferenceOperands) {
  Runtime fp32(weights);
  ForwardOptions o;
  o.n_layers = 1;
  const Matrix x = fp32.forward(std::vector<int>(tokens.begin(), tokens.begin() + 40), o);
  const Matrix xb = rms_norm(x, weights->layers[1].rms_ffn, weights->config.norm_eps);
  for (const auto& [wf, af] : {std::pair{"mxint4", "mxint8"}, std::pair{"mxfp4_e2m1", "mxfp4_e2m1"},
                               std::pair{"mxfp6_e2m3", "mxint4"}, std::pair{"mxfp4_e2m1", "mxfp8_e4m3"}}) {
    Runtime exact(weights, scheme(wf, af, GemmMode::exact));
    for (LinearKind kind : {LinearKind::gate, LinearKind::up}) {
      const LinearId id{1, kind};
      const Matrix& w = weights->layers[1].linear(kind).weight;
      const LinearQuant& lq = exact.scheme().for_linear(id);
      const int K = static_cast<int>(xb.cols()), N = static_cast<int>(w.rows()), M = static_cast<int>(xb.rows());
      const ExactMatrix wq = ExactMatrix::quantize(*lq.weight.format, lq.weight.config(K, quant_stream(id, 0)),
                                                   {w.data(), static_cast<std::size_t>(w.size())}, N, K);
      const ExactMatrix aq = ExactMatrix::quantize(*lq.input.format, lq.input.config(K, quant_stream(id, 1, 0)),
                                                   {xb.data(), static_cast<std::size_t>(xb.size())}, M, K);
      Matrix want(M, N);
      exact_gemm(aq, wq, AccFormat{}, {want.data(), static_cast<std::size_t>(want.size())});
      for (int call = 0; call < 2; ++call) EXPECT_EQ(exact.linear(id, xb), want) << wf << " x " << af << " call " << call;
    }
  }
}

// Whole model: with an FP32 accumulator the exact GEMM is a re-rounding of the same products, so the output
// distributions agree to float32 noise (KL < 1e-5 nats, perplexity within 0.1%); narrower accumulators lose
// more, and the loss grows as the accumulator narrows (fp32 < bf16, fp32 < fp16).
TEST_F(ExactMode, Fp32AccumulatorAgreesWithFakequantAndNarrowerOnesLoseMore) {
  Runtime fake(weights, scheme("mxint4", "mxint8", GemmMode::fakequant));
  EvalOptions e;
  e.ctx = 256;
  std::map<std::string, EvalResult> r;
  for (const char* acc : {"fp32", "bf16", "fp16"}) {
    Runtime exact(weights, scheme("mxint4", "mxint8", GemmMode::exact, acc));
    r[acc] = evaluate(exact, tokens, e, &fake);
    std::printf("[exact mxint4 x mxint8] acc %s: ppl %.5f (fakequant %.5f) kld %.3g top1 %.4f\n", acc, r[acc].ppl,
                std::exp(r[acc].ref_nll), r[acc].kld_mean, r[acc].top1_agree);
  }
  EXPECT_LT(r["fp32"].kld_mean, 1e-5);
  EXPECT_NEAR(r["fp32"].ppl / std::exp(r["fp32"].ref_nll), 1.0, 1e-3);
  EXPECT_GT(r["bf16"].kld_mean, 10 * r["fp32"].kld_mean);
  EXPECT_GT(r["fp16"].kld_mean, r["fp32"].kld_mean);
  EXPECT_GT(r["bf16"].kld_mean, r["fp16"].kld_mean);  // 8 vs 11 significant bits
}

TEST_F(ExactMode, LayersWithoutBothFormatsStayFloatAndOffGridScalesNameTheLayer) {
  Runtime weight_only(weights, scheme("mxint4", "none", GemmMode::exact));
  Runtime fake(weights, scheme("mxint4", "none", GemmMode::fakequant));
  const std::vector<int> toks(tokens.begin(), tokens.begin() + 16);
  EXPECT_EQ(weight_only.forward(toks), fake.forward(toks));  // no activation format: the float path
  Runtime rt(weights, scheme("mxint4", "mxint8", GemmMode::exact));
  const LinearId id{0, LinearKind::q};
  rt.set_weight_scales(id, std::vector<std::uint8_t>(64 * 2, 127));  // raw weights are not on the 2^0 grid
  try {
    rt.forward(toks);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layers.0.q: value"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mxlab::model
