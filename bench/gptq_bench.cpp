// GPTQ cost on an LLM-sized layer (synthetic): Hessian accumulation per 2048-token sample, and the GPTQ solve
// of a 4096 x 4096 weight (MXINT4 and INT4 g32), reported as time and GFLOP/s.
#include <benchmark/benchmark.h>

#include <random>

#include "algorithms/gptq.hpp"
#include "algorithms/ptq.hpp"

namespace {
using mxlab::algorithms::Matrix;

Matrix gaussian(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  Matrix m(rows, cols);
  for (auto& v : m.reshaped()) v = g(rng);
  return m;
}

// H += 2/n X^T X for one calibration sample of 2048 tokens (the model runtime's capture does this per window).
void BM_HessianAccumulate(benchmark::State& state) {
  const Eigen::Index k = state.range(0), tokens = 2048;
  const Matrix x = gaussian(tokens, k, 1);
  Eigen::MatrixXf h = Eigen::MatrixXf::Zero(k, k);
  for (auto _ : state) {
    h.noalias() += x.transpose() * x;
    benchmark::DoNotOptimize(h.data());
  }
  const double flops = 2.0 * tokens * k * k;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_HessianAccumulate)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

// The GPTQ solve (dampening, Cholesky of H^-1, lazy batch updates, quantization) for one out x in layer.
void BM_GptqSolve(benchmark::State& state, const char* format) {
  const Eigen::Index n = state.range(0);
  const Matrix w = gaussian(n, n, 2);
  const Matrix x = gaussian(2 * n, n, 3);  // a full-rank synthetic Hessian
  const Eigen::MatrixXd h = (2.0 / (2 * n)) * (x.transpose() * x).cast<double>();
  const auto q = mxlab::model::TensorQuant::parse(format);
  for (auto _ : state) benchmark::DoNotOptimize(mxlab::algorithms::gptq_quantize(w, h, q).loss);
  // Cholesky + inverse + Cholesky (~ 5/3 n^3 multiply-adds) and the lazy updates (~ n^3): ~ 2 * 8/3 n^3 flops.
  const double flops = 2.0 * (8.0 / 3.0) * static_cast<double>(n) * n * n;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_GptqSolve, mxint4, "mxint4")->Arg(1024)->Arg(4096)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_GptqSolve, int4_g32, "int4")->Arg(4096)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// Whole-model sequential GPTQ (MXINT4 weights, MXINT8 activations) on synthetic Llama-shaped models of 4 and 16
// layers (dim 256, hidden 688, 8 x 256 calibration tokens): items are layers, so a flat items/s across depths
// means the cost is linear in depth (the layer-input cache), not quadratic (a full forward per captured group).
void BM_GptqModel(benchmark::State& state) {
  mxlab::model::ModelConfig c;
  c.dim = 256, c.hidden_dim = 688, c.n_layers = static_cast<int>(state.range(0)), c.n_heads = 8, c.n_kv_heads = 8;
  c.vocab_size = 512, c.seq_len = 256, c.head_size = 32;
  const auto fp = std::make_shared<const mxlab::model::ModelWeights>(mxlab::model::ModelWeights::random(c, 1));
  std::mt19937 rng(2);
  std::vector<int> calib(8 * 256);
  for (int& t : calib) t = static_cast<int>(rng() % 512);
  mxlab::model::QuantScheme s;
  s.linear.weight = mxlab::model::TensorQuant::parse("mxint4");
  s.linear.input = mxlab::model::TensorQuant::parse("mxint8");
  for (auto _ : state) {
    mxlab::algorithms::PtqContext ctx{std::make_shared<mxlab::model::ModelWeights>(*fp), calib, 256, s, {}, {}};
    mxlab::algorithms::run_pipeline("gptq", ctx);
    benchmark::DoNotOptimize(ctx.weights->layers[0].q.weight.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_GptqModel)->Arg(4)->Arg(16)->ArgName("layers")->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
