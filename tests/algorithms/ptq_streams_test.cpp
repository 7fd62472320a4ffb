// Stochastic rounding in PTQ: every tensor draws its own stream (identical weights in two layers round
// differently), RTN's stream is the runtime weight hook's, and the rounding seed changes the draws.
#include <gtest/gtest.h>

#include <omp.h>

#include <random>

#include "algorithms/ptq.hpp"
#include "algorithms/ptq_run.hpp"
#include "model/eval.hpp"

namespace mxlab::algorithms {
namespace {
using model::LinearId;
using model::LinearKind;

std::shared_ptr<model::ModelWeights> twin_layers() {
  model::ModelConfig c;
  c.dim = 32, c.hidden_dim = 44, c.n_layers = 2, c.n_heads = 4, c.n_kv_heads = 2, c.vocab_size = 64, c.seq_len = 32;
  c.head_size = 8;
  auto w = std::make_shared<model::ModelWeights>(model::ModelWeights::random(c, 3));
  w->layers[1] = w->layers[0];  // the same weights in both layers
  return w;
}

PtqContext context(std::uint64_t round_seed) {
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse("mxint4");
  s.linear.weight.cfg.round = Round::stochastic;
  s.linear.weight.cfg.seed = round_seed;
  std::mt19937 rng(1);
  std::vector<int> calib(2 * 32);
  for (int& t : calib) t = static_cast<int>(rng() % 64);
  return PtqContext{twin_layers(), calib, 32, s, {}, {}};
}

TEST(PtqStreams, EveryTensorDrawsItsOwnStochasticStream) {
  for (const char* pipeline : {"rtn", "gptq"}) {
    PtqContext ctx = context(7);
    run_pipeline(pipeline, ctx);
    for (LinearKind k : model::kBlockLinears)
      EXPECT_NE(ctx.weights->linear({0, k}).weight, ctx.weights->linear({1, k}).weight) << pipeline << " " << model::kind_name(k);
    PtqContext other = context(8);
    run_pipeline(pipeline, other);
    EXPECT_NE(ctx.weights->layers[0].q.weight, other.weights->layers[0].q.weight) << pipeline << ": the seed is used";
  }
}

TEST(PtqStreams, RtnDrawsWhatTheRuntimeWeightHookDraws) {
  PtqContext ctx = context(7);
  const auto fp = std::make_shared<model::ModelWeights>(*ctx.weights);
  run_pipeline("rtn", ctx);
  model::Runtime hook(fp, ctx.scheme);
  for (const LinearId& id : ctx.quantized_linears())
    EXPECT_EQ(ctx.weights->linear(id).weight, hook.effective_weight(id)) << model::linear_name(id);
}

// run_ptq evaluates its texts in parallel: with stochastic activation rounding every text still draws the
// streams of one runtime evaluating them in order, so the metrics equal a sequential evaluation exactly.
TEST(PtqStreams, ParallelTextsEvaluateAsOneRuntimeInOrder) {
  PtqSession session;
  session.fp32 = twin_layers();
  std::mt19937 rng(4);
  auto tokens = [&](int n) {
    std::vector<int> t(static_cast<std::size_t>(n));
    for (int& v : t) v = static_cast<int>(rng() % 64);
    return t;
  };
  session.calib = tokens(3 * 32);
  session.ctx = 32;
  session.texts = {{"a", tokens(3 * 32 + 5)}, {"b", tokens(2 * 32)}, {"c", tokens(4 * 32)}};
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse("mxint4");
  s.linear.input = model::TensorQuant::parse("mxint4");
  s.linear.input.cfg.round = Round::stochastic;
  const int threads = omp_get_max_threads();
  omp_set_num_threads(3);
  const PtqRunResult r = run_ptq(session, "rtn", s);
  omp_set_num_threads(threads);
  model::Runtime quant(r.weights, r.deployed), ref(session.fp32);
  ASSERT_EQ(r.evals.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const model::EvalResult e = model::evaluate(quant, session.texts[i].tokens, {}, &ref);
    EXPECT_EQ(r.evals[i].first, session.texts[i].name);
    EXPECT_EQ(r.evals[i].second.nll, e.nll) << i;
    EXPECT_EQ(r.evals[i].second.kld_mean, e.kld_mean) << i;
    EXPECT_EQ(r.evals[i].second.kld_p999, e.kld_p999) << i;
    EXPECT_EQ(r.evals[i].second.top1_agree, e.top1_agree) << i;
  }
}

}  // namespace
}  // namespace mxlab::algorithms
