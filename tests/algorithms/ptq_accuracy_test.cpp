// On stories260K at 4-bit weights: every pipeline's KL to FP32 is below RTN's for the same format.
#include <gtest/gtest.h>

#include <filesystem>

#include "algorithms/calibration_data.hpp"
#include "algorithms/ptq.hpp"
#include "model/eval.hpp"
#include "model/load_model.hpp"
#include "model/text_corpus.hpp"

namespace mxlab::algorithms {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::shared_ptr<const model::ModelWeights> fp32;
  std::vector<int> calib, eval;
  static const Fixture& get() {
    static const Fixture f = [] {
      const fs::path data(std::getenv("MXLAB_DATA") ? std::getenv("MXLAB_DATA") : MXLAB_DATA_DIR);
      Fixture x;
      x.fp32 = std::make_shared<model::ModelWeights>(model::load_model(data / "models/stories260K.bin"));
      const model::Tokenizer tok(data / "models/tok512.bin");
      model::Runtime fp(x.fp32);
      CalibOptions calib;
      calib.samples = 8;
      calib.length = 256;  // PtqContext::ctx's default
      x.calib = calibration_windows(fp, tok, calib).tokens;
      x.eval = model::load_eval_tokens(tok, data / "text/tinystories-valid-dev.txt");
      x.eval.resize(16 * 512);
      return x;
    }();
    return f;
  }
};

double kl_after(const std::string& pipeline, const char* weights) {
  const Fixture& f = Fixture::get();
  PtqContext ctx;
  ctx.weights = std::make_shared<model::ModelWeights>(*f.fp32);
  ctx.calib = f.calib;
  ctx.scheme.linear.weight = model::TensorQuant::parse(weights);
  run_pipeline(pipeline, ctx);
  model::Runtime q = ctx.deployed_runtime(), ref(f.fp32);
  return model::evaluate(q, f.eval, {}, &ref).kld_mean;
}

class PtqBeatsRtn : public ::testing::TestWithParam<const char*> {};
TEST_P(PtqBeatsRtn, OnStories260K) {
  const double rtn = kl_after("rtn", GetParam());
  for (const char* p : {"gptq", "awq", "awq+gptq", "smoothquant+awq+gptq"}) {
    const double kl = kl_after(p, GetParam());
    EXPECT_LT(kl, rtn) << p << " on " << GetParam();
    RecordProperty(p, std::to_string(kl));
  }
  RecordProperty("rtn", std::to_string(rtn));
}
INSTANTIATE_TEST_SUITE_P(W4, PtqBeatsRtn, ::testing::Values("mxint4", "mxfp4_e2m1", "int4"));

}  // namespace
}  // namespace mxlab::algorithms
