// The integer block GEMM's parts at a TinyLlama-1.1B MLP shape (2048 tokens, 2048 -> 5632), single thread: the
// activations' encoding (one pass, encode_int_block_acts, against ExactMatrix::quantize + packing: the same bytes)
// and the GEMM with weights packed once (compare BM_Sgemm's GFLOP/s: one multiply-add = 2 FLOP).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <random>
#include <vector>

#include "formats/int_block_gemm.hpp"

namespace {

using namespace mxlab;

constexpr int kTokens = 2048, kIn = 2048, kOut = 5632;

std::vector<float> gaussian(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

void BM_IntBlockEncodeActs(benchmark::State& state, bool one_pass) {
  omp_set_num_threads(1);
  const std::vector<float> x = gaussian(static_cast<std::size_t>(kTokens) * kIn, 1);
  for (auto _ : state) {
    if (one_pass) benchmark::DoNotOptimize(encode_int_block_acts(Format::mxint8, {}, x, kTokens, kIn));
    else benchmark::DoNotOptimize(pack_int_block_acts(ExactMatrix::quantize(Format::mxint8, {}, x, kTokens, kIn)));
  }
  state.SetItemsProcessed(state.iterations() * kTokens * kIn);
}
BENCHMARK_CAPTURE(BM_IntBlockEncodeActs, one_pass, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IntBlockEncodeActs, exact_matrix, false)->Unit(benchmark::kMillisecond);

void BM_IntBlockGemm(benchmark::State& state) {
  omp_set_num_threads(1);
  const std::vector<float> x = gaussian(static_cast<std::size_t>(kTokens) * kIn, 2), w = gaussian(static_cast<std::size_t>(kOut) * kIn, 3);
  const IntBlockA a = *encode_int_block_acts(Format::mxint8, {}, x, kTokens, kIn);
  const IntBlockW pw = *pack_int_block_weights(*encode_int_block_acts(Format::mxint4, {}, w, kOut, kIn));
  std::vector<float> out(static_cast<std::size_t>(kTokens) * kOut);
  for (auto _ : state) int_block_gemm(a, pw, AccFormat{}, out);
  state.counters["GMAC/s"] = benchmark::Counter(1e-9 * kTokens * kIn * kOut, benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(int_block_gemm_vnni() ? "AVX-512 VNNI" : "AVX2");
}
BENCHMARK(BM_IntBlockGemm)->Unit(benchmark::kMillisecond);

}  // namespace
