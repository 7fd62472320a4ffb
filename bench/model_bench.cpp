// Tokens/s of stories260K evaluation (FP32, and W4A8 = mxint4 weights + mxint8 activations) on 1 and 2 threads.
#include <benchmark/benchmark.h>
#include <omp.h>

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

}  // namespace
