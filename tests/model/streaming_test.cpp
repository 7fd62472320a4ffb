// Streamed (memory-mapped, per-layer) loading against resident FP32 loading, the streaming safetensors writer and
// synthetic checkpoints.
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <random>

#include "model/hf_format.hpp"
#include "model/load_model.hpp"
#include "model/runtime.hpp"
#include "model/synth_model.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

namespace fs = std::filesystem;
const std::vector<int> kTokens = {1, 403, 407, 261, 378, 365, 400, 427, 261, 292, 1, 5, 300, 17, 44, 300, 2, 9};

void round_to_bf16(Matrix& m) {
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = bf16_to_float(float_to_bf16(m.data()[i]));
}
void round_to_bf16(Vector& v) {
  for (Eigen::Index i = 0; i < v.size(); ++i) v[i] = bf16_to_float(float_to_bf16(v[i]));
}

// stories260K with every weight rounded to bf16 (so that a bf16 checkpoint holds it exactly).
ModelWeights stories_bf16() {
  ModelWeights w = load_model(test::stories260k());
  round_to_bf16(w.token_embedding);
  round_to_bf16(w.rms_final);
  w.classifier.weight = w.token_embedding;
  for (LayerWeights& L : w.layers) {
    round_to_bf16(L.rms_att), round_to_bf16(L.rms_ffn);
    for (LinearKind k : kBlockLinears) round_to_bf16(L.linear(k).weight);
  }
  return w;
}

TEST(StreamedLoading, Bf16CheckpointGivesTheLogitsOfFp32Loading) {
  test::TempDir dir;
  const auto exact = std::make_shared<const ModelWeights>(stories_bf16());
  save_hf(*exact, dir.path / "bf16", Dtype::bf16);
  const auto streamed = std::make_shared<const ModelWeights>(load_model(dir.path / "bf16", LoadMode::streamed));
  ASSERT_TRUE(streamed->streamed);
  EXPECT_THROW((void)streamed->linear({0, LinearKind::q}), std::logic_error);  // not resident
  // bf16-representable weights: exactly the same logits as the FP32 model (plain, and with quantization hooks).
  EXPECT_EQ(Runtime(streamed).forward(kTokens), Runtime(exact).forward(kTokens));
  QuantScheme mx;
  mx.linear.weight = TensorQuant::parse("mxfp4_e2m1"), mx.linear.input = TensorQuant::parse("mxfp8_e4m3");
  Runtime qs(streamed, mx), qe(exact, mx);
  EXPECT_EQ(qs.forward(kTokens), qe.forward(kTokens));
  EXPECT_EQ(qs.forward(kTokens), qe.forward(kTokens));  // again: layers re-read, caches rebuilt
  // With a KV cache, token by token.
  KVCache cs(streamed->config, 32), ce(exact->config, 32);
  Runtime rs(streamed), re(exact);
  for (int t : kTokens) {
    const std::vector<int> one{t};
    ASSERT_EQ(rs.forward(one, {&cs}), re.forward(one, {&ce}));
  }
}

// Forwards every read of a streamed model's layers to `inner`, counting them.
class CountingLayers final : public LayerSource {
 public:
  explicit CountingLayers(std::shared_ptr<const LayerSource> inner) : inner_(std::move(inner)) {}
  LayerWeights layer(int l) const override { return ++reads, inner_->layer(l); }
  void layer_into(int l, LayerWeights& into) const override { ++reads, inner_->layer_into(l, into); }
  mutable int reads = 0;

 private:
  std::shared_ptr<const LayerSource> inner_;
};

// A streamed layer is read (and widened) only for the weights a forward needs: with --gemm exact, once per layer
// to build its packed integer form, never again; biases (Qwen2 q/k/v) stay resident with the RMSNorm weights.
TEST(StreamedLoading, ExactPackedWeightsAreReadOncePerLayerAndBiasesStayResident) {
  test::TempDir dir;
  write_synth_model(dir.path / "m", synth_shape("64,160,3,8,2,300"));
  ModelWeights w = load_model(dir.path / "m");
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.f, 0.5f);
  for (LayerWeights& L : w.layers)
    for (Linear* lin : {&L.q, &L.k, &L.v}) {
      lin->bias = Vector(lin->out());
      for (float& b : lin->bias) b = bf16_to_float(float_to_bf16(normal(rng)));
    }
  save_hf(w, dir.path / "bias", Dtype::bf16);
  const auto resident = std::make_shared<const ModelWeights>(std::move(w));
  ModelWeights streamed = load_model(dir.path / "bias", LoadMode::streamed);
  ASSERT_TRUE(streamed.streamed);
  EXPECT_EQ(streamed.layers[2].k.bias, resident->layers[2].k.bias);  // resident in the streamed model
  EXPECT_EQ(streamed.layers[2].k.weight.size(), 0);
  const auto counter = std::make_shared<CountingLayers>(streamed.streamed);
  streamed.streamed = counter;
  const auto counted = std::make_shared<const ModelWeights>(std::move(streamed));
  std::vector<int> tokens(40);
  for (int i = 0; i < 40; ++i) tokens[i] = (i * 37) % 300;
  EXPECT_EQ(Runtime(counted).forward(tokens), Runtime(resident).forward(tokens));
  EXPECT_EQ(counter->reads, 3);
  QuantScheme s;
  s.linear.weight = TensorQuant::parse("mxint4"), s.linear.input = TensorQuant::parse("mxint8");
  s.gemm = GemmMode::exact;
  Runtime qs(counted, s), qr(resident, s);
  const Matrix first = qs.forward(tokens);
  EXPECT_EQ(first, qr.forward(tokens));
  EXPECT_EQ(counter->reads, 6);
  EXPECT_EQ(qs.forward(tokens), first);  // the packed weights are cached: no layer read again
  EXPECT_EQ(counter->reads, 6);
  s.gemm = GemmMode::fakequant;  // fake-quant keeps no per-layer cache of a streamed model: read per forward
  Runtime fs(counted, s);
  EXPECT_EQ(fs.forward(tokens), Runtime(resident, s).forward(tokens));
  EXPECT_EQ(fs.forward(tokens), Runtime(resident, s).forward(tokens));
  EXPECT_EQ(counter->reads, 12);
  ModelWeights bad = *resident;  // a resident bias is checked at load like every resident tensor
  bad.layers[1].v.bias[3] = std::numeric_limits<float>::quiet_NaN();
  save_hf(bad, dir.path / "nan", Dtype::bf16);
  EXPECT_THROW(load_model(dir.path / "nan", LoadMode::streamed), std::runtime_error);
}

TEST(StreamedLoading, OriginalFp32WeightsWithinBf16Rounding) {
  test::TempDir dir;
  const auto fp32 = std::make_shared<const ModelWeights>(load_model(test::stories260k()));
  save_hf(*fp32, dir.path, Dtype::bf16);
  const auto streamed = std::make_shared<const ModelWeights>(load_model(dir.path, LoadMode::streamed));
  const Matrix a = Runtime(fp32).forward(kTokens), b = Runtime(streamed).forward(kTokens);
  // Each weight moves by at most 2^-9 relative (bf16 has 8 significant bits); through 5 layers the logits
  // move by a small multiple of that relative amount. Measured: max |diff| 0.116 against max |logit| 18.9 (0.6%);
  // asserted: under 2% of max |logit|.
  EXPECT_GT((a - b).cwiseAbs().maxCoeff(), 0.f);
  EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 0.02f * a.cwiseAbs().maxCoeff());
}

TEST(StreamedLoading, AutomaticModeAndLlama2cFiles) {
  EXPECT_THROW(load_model(test::stories260k(), LoadMode::streamed), std::invalid_argument);
  EXPECT_FALSE(load_model(test::stories260k(), LoadMode::automatic).streamed);
  EXPECT_EQ(parse_load_mode("auto"), LoadMode::automatic);
  EXPECT_THROW(parse_load_mode("yes"), std::invalid_argument);
}

TEST(SafetensorsStreamWriter, SameBytesAsTheWriterAndNothingLeftOnError) {
  test::TempDir dir;
  const std::vector<float> a = {1.f, -2.f, 3.5f, 1e-3f, 7.f, 8.f}, b = {0.1f, 0.2f, 0.3f};
  SafetensorsWriter w;
  w.add("a", {2, 3}, a.data(), Dtype::bf16);
  w.add("b", {3}, b.data(), Dtype::f32);
  w.set_metadata("format", "pt");
  w.write(dir.path / "whole.safetensors");
  {
    SafetensorsStreamWriter s(dir.path / "stream.safetensors", {{"a", Dtype::bf16, {2, 3}}, {"b", Dtype::f32, {3}}},
                              {{"format", "pt"}});
    s.write(a.data(), 4);  // chunks that do not follow tensor boundaries
    s.write(a.data() + 4, 2);
    s.write(b.data(), 3);
    EXPECT_THROW(s.write(b.data(), 1), std::invalid_argument);
    s.commit();
  }
  auto bytes = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(dir.path / "whole.safetensors"), bytes(dir.path / "stream.safetensors"));
  {
    SafetensorsStreamWriter s(dir.path / "partial.safetensors", {{"a", Dtype::f32, {2, 3}}});
    s.write(a.data(), 5);
    EXPECT_THROW(s.commit(), std::logic_error);
  }
  EXPECT_FALSE(fs::exists(dir.path / "partial.safetensors"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 2);  // no temporary files
}

TEST(SynthModel, ShardedCheckpointLoadsResidentAndStreamedAlike) {
  test::TempDir dir;
  const ModelConfig c = synth_shape("64,160,3,8,2,300");
  SynthOptions o;
  o.max_shard_bytes = 40000;  // several shards
  const std::uint64_t bytes = write_synth_model(dir.path / "m", c, o);
  EXPECT_EQ(bytes, 2u * (2u * 300 * 64 + 3u * (2 * 64 + 64 * 64 * 2 + 64 * 16 * 2 + 3 * 64 * 160) + 64));
  EXPECT_TRUE(fs::exists(dir.path / "m" / "model.safetensors.index.json"));
  int shards = 0;
  for (const auto& e : fs::directory_iterator(dir.path / "m")) shards += e.path().filename().string().starts_with("model-0");
  EXPECT_GT(shards, 3);
  EXPECT_FALSE(fs::exists(dir.path / "m" / "model.safetensors"));
  const auto resident = std::make_shared<const ModelWeights>(load_model(dir.path / "m"));
  const auto streamed = std::make_shared<const ModelWeights>(load_model(dir.path / "m", LoadMode::streamed));
  EXPECT_EQ(resident->config.n_kv_heads, 2);
  EXPECT_EQ(resident->layers[2].rms_ffn, Vector::Ones(64));
  const float sd = std::sqrt(resident->layers[1].down.weight.squaredNorm() / (64.f * 160.f));
  EXPECT_NEAR(sd, 1 / std::sqrt(160.f), 0.03f / std::sqrt(160.f));  // std 1/sqrt(fan_in)
  std::vector<int> tokens(40);
  for (int i = 0; i < 40; ++i) tokens[i] = (i * 37) % 300;
  const Matrix logits = Runtime(resident).forward(tokens);
  EXPECT_TRUE(logits.allFinite());
  EXPECT_EQ(Runtime(streamed).forward(tokens), logits);
  // Same seed, one file: the same values.
  write_synth_model(dir.path / "one", c);
  EXPECT_EQ(load_model(dir.path / "one").layers[1].down.weight, resident->layers[1].down.weight);
  EXPECT_THROW(write_synth_model(dir.path / "one", c), std::invalid_argument);  // exists, not empty
  EXPECT_THROW(synth_shape("64,160,3"), std::invalid_argument);
  EXPECT_THROW(synth_shape("64,160,3,8,3,300"), std::invalid_argument);  // heads % kv_heads
}

}  // namespace
}  // namespace mxlab::model
