// Tokens/s of stories260K evaluation (FP32, and W4A8 = mxint4 weights + mxint8 activations) on 1 and 2 threads,
// and of an LLM-sized Hugging Face checkpoint (BM_EvalHf).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <ctime>
#include <random>

#include "model/attention.hpp"
#include "model/eval.hpp"
#include "model/load_model.hpp"
#include "model/text_corpus.hpp"

#ifndef MXLAB_DATA_DIR
#define MXLAB_DATA_DIR "../shared/data"
#endif

namespace {

using namespace mxlab::model;

struct Fixture {
  std::shared_ptr<ModelWeights> weights;
  std::vector<int> tokens;
  static const Fixture& get() {
    static const Fixture f = [] {
      const std::filesystem::path data(MXLAB_DATA_DIR);
      Fixture x;
      x.weights = std::make_shared<ModelWeights>(load_model(data / "models/stories260K.bin"));
      x.tokens = load_eval_tokens(Tokenizer(data / "models/tok512.bin"), data / "text/tinystories-valid-dev.txt");
      x.tokens.resize(4 * 512);  // four windows of ctx 512
      return x;
    }();
    return f;
  }
};

QuantScheme w4a8(GemmMode gemm = GemmMode::fakequant, const char* weights = "mxint4", const char* acts = "mxint8") {
  QuantScheme s;
  s.linear.weight = TensorQuant::parse(weights);
  s.linear.input = TensorQuant::parse(acts);
  s.gemm = gemm;
  return s;
}

// mode 0: FP32 eval; 1: W4A8 eval incl. the FP32 reference for KL/top-1 (what `mxlab eval --weights mxint4
// --acts mxint8` runs); 2: W4A8 perplexity only (quantized forward alone).
void BM_Eval(benchmark::State& state, int mode) {
  const Fixture& f = Fixture::get();
  omp_set_num_threads(static_cast<int>(state.range(0)));
  Runtime fp32(f.weights);
  Runtime quant(f.weights, mode == 0 ? QuantScheme{} : w4a8());
  std::size_t tokens = 0;
  for (auto _ : state) {
    const EvalResult r = mode == 1 ? evaluate(quant, f.tokens, {}, &fp32) : evaluate(mode == 0 ? fp32 : quant, f.tokens);
    benchmark::DoNotOptimize(r.nll);
    tokens += r.tokens;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(tokens));
}

BENCHMARK_CAPTURE(BM_Eval, fp32, 0)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Eval, w4a8_vs_fp32, 1)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Eval, w4a8_ppl_only, 2)->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime();

// `--gemm exact` against `fakequant` in the same run (perplexity only, quantized forward alone, FP32 accumulator):
// the cost of computing every linear layer as the hardware dot unit does.
void BM_EvalGemm(benchmark::State& state, GemmMode gemm, const char* weights, const char* acts) {
  const Fixture& f = Fixture::get();
  omp_set_num_threads(static_cast<int>(state.range(0)));
  Runtime quant(f.weights, w4a8(gemm, weights, acts));
  std::size_t tokens = 0;
  for (auto _ : state) {
    const EvalResult r = evaluate(quant, f.tokens);
    benchmark::DoNotOptimize(r.nll);
    tokens += r.tokens;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(tokens));
}
#define MXLAB_GEMM_BENCH(name, w, a)                                                                      \
  BENCHMARK_CAPTURE(BM_EvalGemm, name##_fakequant, GemmMode::fakequant, w, a)->Arg(1)->ArgName("threads") \
      ->Unit(benchmark::kMillisecond)->UseRealTime();                                                       \
  BENCHMARK_CAPTURE(BM_EvalGemm, name##_exact, GemmMode::exact, w, a)->Arg(1)->ArgName("threads")         \
      ->Unit(benchmark::kMillisecond)->UseRealTime()
MXLAB_GEMM_BENCH(mxint4_mxint8, "mxint4", "mxint8");
MXLAB_GEMM_BENCH(mxfp4_mxfp8, "mxfp4_e2m1", "mxfp8_e4m3");
MXLAB_GEMM_BENCH(nvfp4_nvfp4, "nvfp4", "nvfp4");
MXLAB_GEMM_BENCH(int4_int8, "int4", "int8");

// A Hugging Face checkpoint at LLM size (MXLAB_BENCH_HF=DIR, e.g. `mxlab synth-model --shape tinyllama-1.1b`),
// one window of MXLAB_BENCH_CTX (default 2048) random tokens: FP32, and MXINT4 weights x MXINT8 activations with
// --gemm exact (the integer block GEMM, formats/int_block_gemm.hpp) and fakequant. Items: tokens of the window
// (as bench/pytorch_baseline.py hf counts them). Skipped without MXLAB_BENCH_HF.
void BM_EvalHf(benchmark::State& state, int mode) {
  const char* dir = std::getenv("MXLAB_BENCH_HF");
  if (!dir) {
    state.SkipWithError("set MXLAB_BENCH_HF to a Hugging Face checkpoint directory");
    return;
  }
  keep_activation_blocks_in_heap();  // as the mxlab CLI does
  static std::shared_ptr<ModelWeights> weights;
  static std::string loaded;
  // As `mxlab eval --stream auto`: decoder layers streamed from the memory-mapped file above 2 GiB in FP32.
  if (loaded != dir) weights.reset(), weights = std::make_shared<ModelWeights>(load_model(dir, LoadMode::automatic)), loaded = dir;
  const char* ctx_env = std::getenv("MXLAB_BENCH_CTX");
  const int ctx = ctx_env ? std::atoi(ctx_env) : 2048;
  std::mt19937 rng(1);
  std::vector<int> tokens(static_cast<std::size_t>(ctx));
  for (int& t : tokens) t = static_cast<int>(rng() % static_cast<unsigned>(weights->config.vocab_size));
  omp_set_num_threads(static_cast<int>(state.range(0)));
  Runtime rt(weights, mode == 0 ? QuantScheme{} : w4a8(mode == 1 ? GemmMode::exact : GemmMode::fakequant));
  // Warm-up on 16 tokens: the weights are quantized (and their exact form cached) once, not per window.
  (void)evaluate(rt, std::span<const int>(tokens).first(16), {.ctx = 16});
  const std::clock_t c0 = std::clock();  // process CPU time, all threads: robust to a shared machine
  for (auto _ : state) benchmark::DoNotOptimize(evaluate(rt, tokens, {.ctx = ctx}).nll);
  state.SetItemsProcessed(state.iterations() * ctx);
  state.counters["tokens_per_cpu_s"] =
      static_cast<double>(state.iterations()) * ctx / (static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
}
BENCHMARK_CAPTURE(BM_EvalHf, fp32, 0)->Arg(1)->Arg(2)->ArgName("threads")->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_EvalHf, mxint4_mxint8_exact, 1)->Arg(1)->Arg(2)->ArgName("threads")->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_EvalHf, mxint4_mxint8_fakequant, 2)->Arg(2)->ArgName("threads")->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// Causal attention of one 2048-token window at the TinyLlama-1.1B shape (32 query / 4 kv heads of 64), 1 thread:
// the tiled online-softmax path against the full-score-matrix reference. GFLOP/s counts the causal products only.
void BM_Attention1p1B(benchmark::State& state, bool tiled) {
  ModelConfig c;
  c.dim = 2048, c.n_heads = 32, c.n_kv_heads = 4, c.head_size = 64;
  const int T = 2048;
  omp_set_num_threads(1);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 1.f);
  const auto random = [&](int rows, int cols) {
    Matrix m(rows, cols);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
  };
  const Matrix q = random(T, c.q_dim()), k = random(T, c.kv_dim()), v = random(T, c.kv_dim());
  for (auto _ : state)
    benchmark::DoNotOptimize(tiled ? causal_attention(q, k, v, c, 0, {}) : causal_attention_reference(q, k, v, c, 0, {}));
  state.counters["GFLOP/s"] = benchmark::Counter(4.0 * c.n_heads * c.head_size * T * (T + 1.0) / 2 * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_Attention1p1B, tiled, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Attention1p1B, reference, false)->Unit(benchmark::kMillisecond);

}  // namespace
