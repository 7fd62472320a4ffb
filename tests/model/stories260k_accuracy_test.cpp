// stories260K end to end: documented greedy output, TinyStories perplexity, WikiText-2, W4A8 degradation.
#include <gtest/gtest.h>

#include "model/eval.hpp"
#include "model/generate.hpp"
#include "model/load_model.hpp"
#include "model/text_corpus.hpp"
#include "test_data.hpp"

namespace mxlab::model {
namespace {

struct Stories : ::testing::Test {
  static void SetUpTestSuite() {
    weights = std::make_shared<ModelWeights>(load_model(test::stories260k()));
    tok = std::make_unique<Tokenizer>(test::tok512());
    tinystories = load_eval_tokens(*tok, test::data_path("text/tinystories-valid-dev.txt"));
  }
  static inline std::shared_ptr<ModelWeights> weights;
  static inline std::unique_ptr<Tokenizer> tok;
  static inline std::vector<int> tinystories;
};

TEST_F(Stories, GreedyFromBosReproducesTheDocumentedStory) {
  Runtime rt(weights);
  GenerateOptions o;
  o.temperature = 0;
  o.steps = 40;
  const std::string text = tok->decode(generate(rt, {kBos}, o));
  EXPECT_TRUE(text.starts_with(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park."))
      << text;
}

TEST_F(Stories, TinyStoriesPerplexityIsAboutOnePointTwoFiveNats) {
  Runtime rt(weights);
  const EvalResult r = evaluate(rt, tinystories);  // ctx = seq_len = 512, each story BOS-first
  EXPECT_EQ(r.ctx, 512);
  EXPECT_GT(r.tokens, 30000u);
  EXPECT_GE(r.nll, 1.15);
  EXPECT_LE(r.nll, 1.35);
}

TEST_F(Stories, W4A8DegradesAndW8A8DegradesLess) {
  QuantScheme w4a8;
  w4a8.linear.weight = TensorQuant::parse("mxint4");
  w4a8.linear.input = TensorQuant::parse("mxint8");
  QuantScheme w8a8 = w4a8;
  w8a8.linear.weight = TensorQuant::parse("mxint8");
  Runtime fp32(weights), q4(weights, w4a8), q8(weights, w8a8);
  EvalOptions opt;
  opt.max_tokens = 8 * 512;
  const EvalResult r4 = evaluate(q4, tinystories, opt, &fp32);
  const EvalResult r8 = evaluate(q8, tinystories, opt, &fp32);
  EXPECT_GT(r4.kld_mean, 0.0);
  EXPECT_LT(r4.top1_agree, 1.0);
  EXPECT_GT(r4.nll, r4.ref_nll);
  EXPECT_LT(r8.kld_mean, r4.kld_mean);
  EXPECT_GT(r8.top1_agree, r4.top1_agree);
}

TEST_F(Stories, WikiTextPrefixIsOutOfDomain) {
  const auto wiki = load_eval_tokens(*tok, test::data_path("text/wikitext2-test.raw"));
  EXPECT_EQ(wiki.front(), kBos);
  EXPECT_EQ(std::count(wiki.begin(), wiki.end(), kBos), 1);
  Runtime rt(weights);
  EvalOptions opt;
  opt.max_tokens = 20 * 512;
  EXPECT_GT(evaluate(rt, wiki, opt).ppl, 100.0);
}

}  // namespace
}  // namespace mxlab::model
