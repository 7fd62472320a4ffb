// Streamed PTQ (issue 15): a session loaded streamed quantizes layer by layer, writing each layer as one shard, and
// produces exactly the in-memory run's quantized weights (packed codes, scales, dequantized f32/bf16) and
// evaluations; pipelines that need the whole model resident are refused before anything is written.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "algorithms/ptq_run.hpp"
#include "model/hf_format.hpp"
#include "tiny_model.hpp"

namespace mxlab::algorithms {
namespace {

namespace fs = std::filesystem;
using test::random_tokens;

// A scratch directory, removed at the end of the test.
struct Scratch {
  fs::path dir;
  explicit Scratch(const std::string& name)
      : dir(fs::temp_directory_path() / ("mxlab_streamed_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

// The tiny model (GQA: q/k rows RoPE-permuted on export; hidden 48: partial blocks) with an untied classifier,
// saved as an HF checkpoint, and a session on it loaded resident or streamed.
const fs::path& checkpoint() {
  static Scratch s("src");
  if (!fs::exists(s.dir / "config.json")) {
    model::ModelWeights w = *test::tiny_model(48, 21);
    w.config.shared_classifier = false;
    w.classifier.weight = model::ModelWeights::random(w.config, 5).classifier.weight;
    model::save_hf(w, s.dir);
  }
  return s.dir;
}
PtqSession session(bool streamed) {
  PtqSession s;
  s.fp32 = std::make_shared<const model::ModelWeights>(model::load_hf(checkpoint(), streamed));
  s.source = checkpoint();  // a streamed session given up (run_ptq(session(true), ...)) re-reads, not copies, it
  s.calib = random_tokens(4 * 32, 3);
  s.ctx = 32;
  s.texts = {{"a", random_tokens(2 * 32, 5)}, {"b", random_tokens(3 * 32, 6)}};
  return s;
}

void expect_same_bits(const model::Matrix& a, const model::Matrix& b, const std::string& what) {
  ASSERT_EQ(a.rows(), b.rows()) << what;
  ASSERT_EQ(a.cols(), b.cols()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.size())), 0) << what;
}

struct Case {
  const char *weights, *acts, *pipeline;
  model::GemmMode gemm;
  bool classifier;
  const char* out;  // packed, f32, bf16
};

class StreamedPtq : public ::testing::TestWithParam<Case> {};

TEST_P(StreamedPtq, EqualsInMemoryPtqBitForBit) {
  const Case& k = GetParam();
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse(k.weights);
  s.linear.input = model::TensorQuant::parse(k.acts);
  s.gemm = k.gemm;
  s.quantize_classifier = k.classifier;
  std::optional<model::Dtype> deq;
  if (std::string(k.out) != "packed") deq = std::string(k.out) == "bf16" ? model::Dtype::bf16 : model::Dtype::f32;
  Scratch a("resident"), b("streamed");
  const PtqExport to_a{a.dir, deq, {{"test", 1}}}, to_b{b.dir, deq, {{"test", 1}}};
  const PtqRunResult resident = run_ptq(session(false), k.pipeline, s, {}, &to_a);
  const PtqRunResult streamed = run_ptq(session(true), k.pipeline, s, {}, &to_b);

  // One shard per decoder layer and one for the head, with an index.
  EXPECT_TRUE(fs::exists(b.dir / "model.safetensors.index.json"));
  EXPECT_TRUE(fs::exists(b.dir / "model-00003-of-00003.safetensors"));
  const model::ModelWeights wa = model::load_hf(a.dir), wb = model::load_hf(b.dir);
  ASSERT_EQ(wa.config.shared_classifier, wb.config.shared_classifier);
  for (const model::LinearId id : wa.linear_ids()) {
    expect_same_bits(wa.linear(id).weight, wb.linear(id).weight, model::linear_name(id));
    if (!deq || *deq == model::Dtype::f32)  // the in-memory result itself, exactly
      expect_same_bits(resident.weights->linear(id).weight, wb.linear(id).weight, model::linear_name(id));
  }
  for (int l = 0; l < wa.config.n_layers; ++l) {
    EXPECT_TRUE(wa.layers[l].rms_att == wb.layers[l].rms_att);
    EXPECT_TRUE(wa.layers[l].rms_ffn == wb.layers[l].rms_ffn);
  }
  EXPECT_TRUE(wa.token_embedding == wb.token_embedding);
  EXPECT_TRUE(wa.rms_final == wb.rms_final);
  if (!deq) {
    const auto qa = model::read_quantization(a.dir), qb = model::read_quantization(b.dir);
    ASSERT_TRUE(qa && qb);
    EXPECT_EQ(model::scheme_to_json(qa->scheme), model::scheme_to_json(qb->scheme));
    EXPECT_EQ(qa->provenance, qb->provenance);
    ASSERT_EQ(qa->linears.size(), qb->linears.size());
    for (const auto& [id, p] : qa->linears) {
      EXPECT_EQ(p.scales, qb->linears.at(id).scales) << model::linear_name(id);
      EXPECT_EQ(p.tensor_scale, qb->linears.at(id).tensor_scale);
    }
  }
  // The streamed run evaluates the checkpoint it wrote: the in-memory run's numbers when that keeps the values.
  EXPECT_EQ(resident.weight_bits, streamed.weight_bits);
  ASSERT_EQ(resident.evals.size(), streamed.evals.size());
  if (!deq || *deq == model::Dtype::f32)
    for (std::size_t i = 0; i < resident.evals.size(); ++i) {
      EXPECT_EQ(resident.evals[i].second.nll, streamed.evals[i].second.nll) << resident.evals[i].first;
      EXPECT_EQ(resident.evals[i].second.kld_mean, streamed.evals[i].second.kld_mean);
      EXPECT_EQ(resident.evals[i].second.top1_agree, streamed.evals[i].second.top1_agree);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Pipelines, StreamedPtq,
    ::testing::Values(Case{"mxfp4_e2m1", "none", "rtn", model::GemmMode::fakequant, true, "packed"},
                      Case{"mxint4", "mxint8", "gptq", model::GemmMode::exact, false, "packed"},
                      Case{"nvfp4", "none", "gptq:act_order=on", model::GemmMode::fakequant, true, "packed"},
                      Case{"mxint4", "mxfp8_e4m3", "gptq:hessian_from=quantized", model::GemmMode::fakequant, false, "f32"},
                      Case{"int4", "none", "rtn", model::GemmMode::fakequant, true, "bf16"},
                      Case{"vq2_d2", "none", "gptvq:iters=2", model::GemmMode::fakequant, false, "f32"}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string n = std::string(i.param.weights) + "_" + i.param.pipeline + "_" + i.param.out;
      for (char& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return n;
    });

// Every file under `dir` by name, with its bytes.
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    out[e.path().filename().string()] = std::string(std::istreambuf_iterator<char>(f), {});
  }
  return out;
}

// A streamed session given up by its owner and held nowhere else drops its FP32 model and the run re-reads it from
// the checkpoint (one FP32 head resident, not two); a shared one is copied. Both write the same files byte for byte
// (the classifier quantized in place included) and evaluate to the same numbers.
TEST(StreamedPtq, RereadingTheGivenUpSessionEqualsCopyingIt) {
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse("mxint4");
  s.linear.input = model::TensorQuant::parse("mxint8");
  s.quantize_classifier = true;
  Scratch a("copied"), b("reread"), c("kept");
  const nlohmann::json prov = {{"test", 1}};
  const PtqExport to_a{a.dir, std::nullopt, prov}, to_b{b.dir, std::nullopt, prov}, to_c{c.dir, std::nullopt, prov};
  const PtqSession shared = session(true);
  const PtqRunResult copied = run_ptq(shared, "gptq", s, {}, &to_a);
  PtqSession owned = session(true), held = session(true);
  const auto holder = held.fp32;
  const PtqRunResult reread = run_ptq(std::move(owned), "gptq", s, {}, &to_b);
  run_ptq(std::move(held), "gptq", s, {}, &to_c);
  EXPECT_EQ(owned.fp32, nullptr);  // NOLINT(bugprone-use-after-move): dropped, as documented
  EXPECT_EQ(held.fp32, holder);    // NOLINT(bugprone-use-after-move): held elsewhere, so kept (and copied)
  EXPECT_EQ(shared.fp32.use_count(), 1);
  const auto fa = files_of(a.dir);
  EXPECT_EQ(fa.size(), 5u);  // 2 layer shards, the head's, the index, config.json
  EXPECT_TRUE(fa == files_of(b.dir));
  EXPECT_TRUE(fa == files_of(c.dir));
  ASSERT_EQ(copied.evals.size(), 2u);
  ASSERT_EQ(reread.evals.size(), 2u);
  for (std::size_t i = 0; i < copied.evals.size(); ++i) {
    EXPECT_EQ(copied.evals[i].second.nll, reread.evals[i].second.nll);
    EXPECT_EQ(copied.evals[i].second.ref_nll, reread.evals[i].second.ref_nll);
    EXPECT_EQ(copied.evals[i].second.kld_mean, reread.evals[i].second.kld_mean);
  }
}

// Steps that need the whole model resident, a missing or non-empty destination: one clear error, nothing written.
TEST(StreamedPtq, RefusesWhatCannotStream) {
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse("mxint4");
  Scratch out("refused");
  const PtqExport to{out.dir, std::nullopt, {}};
  try {
    run_ptq(session(true), "awq+gptq", s, {}, &to);
    ADD_FAILURE() << "awq ran streamed";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'awq' needs the whole model resident"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out.dir));
  for (const auto& e : fs::directory_iterator(out.dir.parent_path()))  // no temporary directory left
    EXPECT_EQ(e.path().filename().string().find("." + out.dir.filename().string() + ".partial"), std::string::npos);
  EXPECT_THROW(run_ptq(session(true), "rtn", s), std::invalid_argument);  // nowhere to write
  fs::create_directories(out.dir / "x");
  EXPECT_THROW(run_ptq(session(true), "rtn", s, {}, &to), std::invalid_argument);  // not empty
  const PtqExport file{out.dir / "m.safetensors", std::nullopt, {}};
  EXPECT_THROW(run_ptq(session(true), "rtn", s, {}, &file), std::invalid_argument);  // one file, not shards
}

}  // namespace
}  // namespace mxlab::algorithms
