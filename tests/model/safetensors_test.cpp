// safetensors writer/reader, HF checkpoint round trip of stories260K (identical logits) and the RoPE permutation.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "model/hf_format.hpp"
#include "model/load_model.hpp"
#include "model/runtime.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

TEST(Safetensors, WriterReaderRoundTripAllDtypes) {
  test::TempDir dir;
  const std::vector<float> v = {0.f, 1.f, -2.5f, 3.14159f, 1e-6f, -65504.f, 1e-8f, 0.333333f};
  SafetensorsWriter w;
  w.add("a", {2, 4}, v.data(), Dtype::f32);
  w.add("b.half", {8}, v.data(), Dtype::f16);
  w.add("c.bf16", {4, 2}, v.data(), Dtype::bf16);
  const std::vector<std::uint8_t> bytes = {0, 1, 127, 128, 255, 17};
  w.add_u8("d.packed", {2, 3}, bytes);
  EXPECT_THROW(w.add_u8("e", {4}, bytes), std::invalid_argument);  // the shape must hold the bytes
  w.set_metadata("format", "pt");
  w.write(dir.path / "t.safetensors");
  const SafetensorsReader r(dir.path / "t.safetensors");
  EXPECT_EQ(r.tensors().size(), 4u);
  EXPECT_EQ(r.read_u8("d.packed"), bytes);
  EXPECT_EQ(dtype_name(r.info("d.packed").dtype), "U8");
  EXPECT_THROW(r.read_f32("d.packed"), std::runtime_error);  // raw bytes are not numbers
  EXPECT_THROW(r.read_u8("a"), std::runtime_error);
  EXPECT_EQ(r.metadata().at("format"), "pt");
  EXPECT_EQ(r.info("a").shape, (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(r.read_f32("a"), v);
  const auto h = r.read_f32("b.half"), b = r.read_f32("c.bf16");
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(h[i], half_to_float(float_to_half(v[i])));
    EXPECT_NEAR(h[i], v[i], std::max(std::abs(v[i]) * 1e-3f, 6e-8f));
    EXPECT_NEAR(b[i], v[i], std::abs(v[i]) * 8e-3f);
  }
  EXPECT_EQ(half_to_float(float_to_half(1.0f + 1.0f / 2048)), 1.0f);  // tie rounds to even
  EXPECT_EQ(bf16_to_float(float_to_bf16(1.0f + 1.0f / 256)), 1.0f);
  EXPECT_THROW(r.info("missing"), std::runtime_error);
}

TEST(Safetensors, CorruptHeaderIsRejected) {
  test::TempDir dir;
  const auto p = dir.path / "bad.safetensors";
  {
    std::ofstream out(p, std::ios::binary);
    const std::string header = R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
    const std::uint64_t n = header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << header << "12345678";  // only 8 of 16 data bytes
  }
  try {
    SafetensorsReader r(p);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.safetensors"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(HfFormat, Stories260KRoundTripGivesIdenticalLogits) {
  test::TempDir dir;
  auto w = std::make_shared<ModelWeights>(load_model(test::stories260k()));
  save_hf(*w, dir.path);
  const SafetensorsReader st(dir.path / "model.safetensors");
  EXPECT_TRUE(st.contains("model.layers.4.self_attn.k_proj.weight"));
  EXPECT_FALSE(st.contains("lm_head.weight"));  // tied
  EXPECT_EQ(st.info("model.layers.0.mlp.gate_proj.weight").shape, (std::vector<std::int64_t>{172, 64}));
  // The stored q_proj is in HF layout, i.e. not equal to the llama2.c rows.
  const auto q = st.read_f32("model.layers.0.self_attn.q_proj.weight");
  EXPECT_NE(Eigen::Map<const Matrix>(q.data(), 64, 64), w->layers[0].q.weight);

  auto r = std::make_shared<ModelWeights>(load_model(dir.path));
  EXPECT_EQ(r->layers[0].q.weight, w->layers[0].q.weight);
  const std::vector<int> tokens = {1, 403, 407, 261, 378, 365, 400, 427, 261, 292, 1, 5, 300};
  EXPECT_EQ(Runtime(w).forward(tokens), Runtime(r).forward(tokens));
  // A named .safetensors file gets config.json beside it and loads the same.
  save_hf(*w, dir.path / "named" / "quantized.safetensors");
  EXPECT_TRUE(std::filesystem::exists(dir.path / "named" / "config.json"));
  auto n = std::make_shared<ModelWeights>(load_model(dir.path / "named" / "quantized.safetensors"));
  EXPECT_EQ(Runtime(w).forward(tokens), Runtime(n).forward(tokens));
}

TEST(HfFormat, SeparateClassifierBiasesAndBf16) {
  test::TempDir dir;
  ModelWeights w = ModelWeights::random(test::small_config(4, 2, false), 4);
  for (LayerWeights& L : w.layers) L.q.bias = Vector::LinSpaced(L.q.out(), -1.f, 1.f);
  for (LayerWeights& L : w.layers) L.k.bias = Vector::LinSpaced(L.k.out(), 1.f, 2.f);
  save_hf(w, dir.path);
  const ModelWeights r = load_hf(dir.path / "model.safetensors");
  EXPECT_EQ(r.classifier.weight, w.classifier.weight);
  EXPECT_EQ(r.layers[1].q.bias, w.layers[1].q.bias);
  EXPECT_EQ(r.layers[1].k.bias, w.layers[1].k.bias);
  EXPECT_FALSE(r.config.shared_classifier);
  save_hf(w, dir.path / "bf16", Dtype::bf16);
  const ModelWeights b = load_hf(dir.path / "bf16");
  EXPECT_LT((b.layers[0].down.weight - w.layers[0].down.weight).cwiseAbs().maxCoeff(), 0.01f);
}

TEST(HfFormat, MissingConfigAndWrongShapesAreReported) {
  test::TempDir dir;
  EXPECT_THROW(load_hf(dir.path), std::runtime_error);
  ModelWeights w = ModelWeights::random(test::small_config(4, 4, true), 4);
  save_hf(w, dir.path);
  std::ofstream(dir.path / "config.json") << R"({"hidden_size": 48, "intermediate_size": 86, "num_hidden_layers": 2,
    "num_attention_heads": 4, "vocab_size": 67, "tie_word_embeddings": true})";
  try {
    load_hf(dir.path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("model.embed_tokens.weight' has shape [67,32], expected [67,48]"),
              std::string::npos)
        << e.what();
  }
}

// HF applies RoPE with rotate_half (pairs i, i + hs/2); llama2.c rotates pairs (2i, 2i+1). After permuting the
// q/k rows the two conventions must give the same attention scores q.k at every position pair.
TEST(HfFormat, PermutationMakesRotateHalfEqualInterleavedRope) {
  const int heads = 2, hs = 8, dim = 12;
  Matrix w = Matrix::Random(heads * hs, dim);
  const Matrix w_hf = permute_llama2c_to_hf(w, heads);
  EXPECT_EQ(permute_hf_to_llama2c(w_hf, heads), w);
  Matrix x = Matrix::Random(1, dim);
  for (int pos : {0, 3, 17}) {
    Matrix a = x * w.transpose();
    apply_rope(a, hs, pos, 10000.f);
    Matrix b = x * w_hf.transpose();
    for (int h = 0; h < heads; ++h)  // HF rotate_half RoPE
      for (int j = 0; j < hs / 2; ++j) {
        const float ang = pos * std::pow(10000.f, -2.f * j / hs);
        const float x1 = b(0, h * hs + j), x2 = b(0, h * hs + j + hs / 2);
        b(0, h * hs + j) = x1 * std::cos(ang) - x2 * std::sin(ang);
        b(0, h * hs + j + hs / 2) = x2 * std::cos(ang) + x1 * std::sin(ang);
      }
    EXPECT_LT((permute_hf_to_llama2c(b.transpose(), heads).transpose() - a).cwiseAbs().maxCoeff(), 1e-5f);
  }
}

}  // namespace
}  // namespace mxlab::model
