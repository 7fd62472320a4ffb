// GPTQ cost on LLM-sized layers (synthetic): Hessian accumulation per 2048-token sample, the GPTQ solve at Llama
// shapes (4096 x 4096, 4096 x 11008, 11008 x 4096) and the OpenBLAS SGEMM rate of the same run.
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <omp.h>

#include <ctime>
#include <random>

#include "algorithms/gptq.hpp"
#include "algorithms/ptq.hpp"
#include "model/calibration.hpp"

namespace {
using mxlab::algorithms::Matrix;

Matrix gaussian(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  Matrix m(rows, cols);
  for (auto& v : m.reshaped()) v = g(rng);
  return m;
}

// X^T X of one 2048-token calibration window as GPTQ accumulates it (model::CalibrationCapture, in double: OpenBLAS
// dsyrk on the lower triangle, mirrored). At TinyLlama-1.1B widths a layer takes 3 of them at 2048 (q, o, gate)
// and 1 at 5632 (down) per window. GFLOP/s counts n^2 * tokens (the triangle's multiply-adds, 2 flops each).
void BM_HessianAccumulate(benchmark::State& state) {
  const Eigen::Index k = state.range(0), tokens = 2048;
  const Matrix x = gaussian(tokens, k, 1);
  mxlab::model::CaptureOptions opt;
  opt.stats = false;
  opt.hessian = true;
  mxlab::model::CalibrationCapture capture(opt);
  const std::clock_t c0 = std::clock();
  for (auto _ : state) capture.observe({0, mxlab::model::LinearKind::q}, x);
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  state.counters["process_cpu_s"] = cpu;
  state.counters["GFLOP_per_cpu_s"] = static_cast<double>(tokens) * k * k * state.iterations() * 1e-9 / cpu;
}
BENCHMARK(BM_HessianAccumulate)->Arg(2048)->Arg(4096)->Arg(5632)->Unit(benchmark::kMillisecond)->UseRealTime();

// A synthetic n x n Hessian H = 2/T X^T X of one T = 2048-token Gaussian calibration sample (rank 2048 + the
// dampening: the Cholesky cost does not depend on the values), formed with OpenBLAS ssyrk. The same construction
// as bench/pytorch_baseline.py gptq, which times the reference fasterquant on the same shapes.
Eigen::MatrixXd synthetic_hessian(Eigen::Index n) {
  const Eigen::Index tokens = 2048;
  const Matrix x = gaussian(tokens, n, 3);
  Eigen::MatrixXf h = Eigen::MatrixXf::Zero(n, n);  // column-major: lower triangle written by ssyrk
  cblas_ssyrk(CblasColMajor, CblasLower, CblasNoTrans, static_cast<int>(n), static_cast<int>(tokens), 2.0f / tokens,
              x.data(), static_cast<int>(n), 0.0f, h.data(), static_cast<int>(n));  // row-major X = col-major X^T
  h.triangularView<Eigen::StrictlyUpper>() = h.transpose();
  return h.cast<double>();
}

// The GPTQ solve (dampening, factorization, lazy batch updates, quantization) of one rows x in layer
// (blocksize 128, percdamp 0.01). mxint4: MX blocks of 32 (power-of-two scales); int4_asym_g128: 4-bit
// asymmetric min-max groups of 128, the quantizer of the reference's fasterquant --groupsize 128.
void BM_GptqSolve(benchmark::State& state, const char* format, int block) {
  const Eigen::Index rows = state.range(0), in = state.range(1);
  const Matrix w = gaussian(rows, in, 2);
  const Eigen::MatrixXd h = synthetic_hessian(in);
  const auto q = mxlab::model::TensorQuant::parse(format, block);
  const std::clock_t c0 = std::clock();  // process CPU time, all threads: robust to a shared machine
  for (auto _ : state) benchmark::DoNotOptimize(mxlab::algorithms::gptq_quantize(w, h, q).loss);
  state.counters["process_cpu_s"] = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  state.counters["threads"] = omp_get_max_threads();
}
#define MXLAB_GPTQ_SHAPES ->Args({1024, 1024})->Args({4096, 4096})->Args({4096, 11008})->Args({11008, 4096}) \
    ->ArgNames({"rows", "in"})->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime()
BENCHMARK_CAPTURE(BM_GptqSolve, mxint4, "mxint4", 0) MXLAB_GPTQ_SHAPES;
BENCHMARK_CAPTURE(BM_GptqSolve, int4_asym_g128, "int4_asym", 128) MXLAB_GPTQ_SHAPES;

// The machine's SGEMM rate in the same run (OpenBLAS, n^3 cube, row-major): the yardstick of the dense work.
void BM_Sgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const Matrix a = gaussian(n, n, 4), b = gaussian(n, n, 5);
  Matrix c(n, n);
  const std::clock_t c0 = std::clock();
  for (auto _ : state)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP_per_cpu_s"] = 2.0 * n * n * n * state.iterations() * 1e-9 / cpu;  // a shared machine's rate
}
BENCHMARK(BM_Sgemm)->Arg(4096)->Unit(benchmark::kMillisecond)->UseRealTime();

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
