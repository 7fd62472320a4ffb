// llama2.c checkpoint loading (stories260K legacy v0), v0/v1/v2 round trips and corrupt-file errors.
#include <gtest/gtest.h>

#include <fstream>

#include "model/llama2c_format.hpp"
#include "model/load_model.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

std::string error_of(const std::filesystem::path& p) {
  try {
    load_llama2c(p);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

void expect_same(const ModelWeights& a, const ModelWeights& b) {
  EXPECT_EQ(a.token_embedding, b.token_embedding);
  EXPECT_EQ(a.rms_final, b.rms_final);
  EXPECT_EQ(a.classifier.weight, b.classifier.weight);
  ASSERT_EQ(a.layers.size(), b.layers.size());
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    for (LinearKind k : kBlockLinears)
      EXPECT_EQ(a.linear({int(l), k}).weight, b.linear({int(l), k}).weight) << linear_name({int(l), k});
    EXPECT_EQ(a.layers[l].rms_att, b.layers[l].rms_att);
    EXPECT_EQ(a.layers[l].rms_ffn, b.layers[l].rms_ffn);
  }
}

TEST(Llama2c, LoadsStories260K) {
  const ModelWeights w = load_model(test::stories260k());
  const ModelConfig& c = w.config;
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hidden_dim, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.seq_len, 512);
  EXPECT_EQ(c.head_size, 8);
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_EQ(w.layers[4].k.weight.rows(), 32);
  EXPECT_EQ(w.classifier.weight, w.token_embedding);
  EXPECT_GT(w.layers[0].rms_att.cwiseAbs().minCoeff(), 0.f);  // norms are not left at zero
}

TEST(Llama2c, VersionsRoundTrip) {
  test::TempDir dir;
  for (bool shared : {true, false}) {
    const ModelWeights w = ModelWeights::random(test::small_config(4, 2, shared, 64), 3);
    for (int version : {0, 1}) {
      std::string name = std::to_string(version);
      name += "_version.bin";
      const auto p = dir.path / name;
      save_llama2c(w, p, version);
      const ModelWeights r = load_llama2c(p);
      EXPECT_EQ(r.config.shared_classifier, shared);
      expect_same(w, r);
    }
    // v2: Q8_0 groups of 64; the error of each weight is at most half a step (max|group| / 127 / 2).
    const auto p2 = dir.path / "m2.bin";
    save_llama2c(w, p2, 2, 64);
    const ModelWeights q = load_llama2c(p2);
    EXPECT_EQ(q.rms_final, w.rms_final);  // norms stay fp32
    const Matrix& a = w.layers[1].down.weight;
    const Matrix& b = q.layers[1].down.weight;
    const float step = a.cwiseAbs().maxCoeff() / 127.f;
    EXPECT_LE((a - b).cwiseAbs().maxCoeff(), 0.5f * step * 1.0001f);
    EXPECT_GT((a - b).cwiseAbs().maxCoeff(), 0.f);
  }
}

TEST(Llama2c, TruncatedFileNamesFileAndProblem) {
  test::TempDir dir;
  const auto p = dir.path / "cut.bin";
  {
    std::ifstream in(test::stories260k(), std::ios::binary);
    std::vector<char> bytes(500000);
    in.read(bytes.data(), bytes.size());
    std::ofstream(p, std::ios::binary).write(bytes.data(), bytes.size());
  }
  const std::string e = error_of(p);
  EXPECT_NE(e.find("cut.bin"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
}

TEST(Llama2c, BadVersionAndGarbageAreRejected) {
  test::TempDir dir;
  const auto v9 = dir.path / "v9.bin";
  {
    std::ofstream out(v9, std::ios::binary);
    const std::uint32_t h[2] = {kLlama2cMagic, 9};
    out.write(reinterpret_cast<const char*>(h), sizeof h);
    out.write(std::string(300, '\0').data(), 300);
  }
  EXPECT_NE(error_of(v9).find("unsupported llama2.c checkpoint version 9"), std::string::npos) << error_of(v9);
  const auto junk = dir.path / "junk.bin";
  std::ofstream(junk, std::ios::binary) << "this is a text file, not a model checkpoint at all";
  const std::string e = error_of(junk);
  EXPECT_NE(e.find("junk.bin"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid model config"), std::string::npos) << e;
  EXPECT_NE(error_of(dir.path / "absent.bin").find("no such file"), std::string::npos);
}

}  // namespace
}  // namespace mxlab::model
