// Fake-quantization throughput per format (16M floats) against memcpy of the same buffer in the same run (and,
// interleaved, in the same benchmark: vs_memcpy): every format at 1 thread (default rounding, and stochastic),
// NVFP4 with its tensor scale, and one format per family at 1 and 2 threads (OpenMP over blocks) beside a memcpy
// split over the same threads.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "formats/format.hpp"

namespace {
constexpr std::size_t kCount = 16u << 20;

const std::vector<float>& input() {
  static const std::vector<float> x = [] {
    std::vector<float> v(kCount);
    std::mt19937 rng(1);
    std::normal_distribution<float> g(0.f, 1.f);
    for (auto& f : v) f = g(rng);
    return v;
  }();
  return x;
}

void bytes_processed(benchmark::State& state) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kCount * sizeof(float)));
}

// memcpy of the buffer into y, split into one contiguous piece per thread.
void copy(std::vector<float>& y, const std::vector<float>& x, int threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int t = 0; t < threads; ++t) {
    const std::size_t lo = kCount * t / threads, hi = kCount * (t + 1) / threads;
    std::memcpy(y.data() + lo, x.data() + lo, (hi - lo) * sizeof(float));
  }
  benchmark::ClobberMemory();
}

void BM_Memcpy(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const auto& x = input();
  std::vector<float> y(kCount);
  for (auto _ : state) copy(y, x, threads);
  bytes_processed(state);
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();

// Fake quantization timed alone (manual time); a memcpy of the same buffer with the same threads runs before each
// iteration, so that the counter vs_memcpy = memcpy time / fake-quant time compares the two under the same load.
void BM_FakeQuant(benchmark::State& state, mxlab::Format f, mxlab::QuantConfig cfg, bool reference) {
  using clock = std::chrono::steady_clock;
  const int threads = static_cast<int>(state.range(0));
  omp_set_num_threads(threads);
  const auto& x = input();
  std::vector<float> y(kCount), z(kCount);
  double memcpy_s = 0, quant_s = 0;
  for (auto _ : state) {
    const auto t0 = clock::now();
    copy(z, x, threads);
    const auto t1 = clock::now();
    if (reference) mxlab::fake_quantize_ref(f, x, y, cfg);
    else mxlab::fake_quantize(f, x, y, cfg);
    benchmark::ClobberMemory();
    const double q = std::chrono::duration<double>(clock::now() - t1).count();
    memcpy_s += std::chrono::duration<double>(t1 - t0).count();
    quant_s += q;
    state.SetIterationTime(q);
  }
  bytes_processed(state);
  state.counters["memcpy_GBps"] = static_cast<double>(state.iterations() * kCount * sizeof(float)) / memcpy_s / 1e9;
  state.counters["vs_memcpy"] = memcpy_s / quant_s;
  omp_set_num_threads(omp_get_num_procs());
}

benchmark::internal::Benchmark* add(const std::string& name, mxlab::Format f, mxlab::QuantConfig cfg,
                                    bool reference = false) {
  return benchmark::RegisterBenchmark(name.c_str(), BM_FakeQuant, f, cfg, reference)
      ->Unit(benchmark::kMillisecond)->ArgName("threads")->Arg(1)->UseManualTime();
}

const bool registered = [] {
  using mxlab::Format;
  for (const auto& t : mxlab::format_table()) add(std::string("BM_FakeQuant/") + t.name, t.id, {});
  add("BM_FakeQuant/nvfp4_tensor_scale", Format::nvfp4, {.tensor_scale = true});
  for (const auto& t : mxlab::format_table())
    add(std::string("BM_FakeQuantStochastic/") + t.name, t.id, {.round = mxlab::Round::stochastic, .seed = 1});
  for (auto f : {Format::mxfp4_e2m1, Format::nvfp4, Format::int4, Format::int4_asym, Format::fp4_e2m1})
    add(std::string("BM_FakeQuantScaling/") + mxlab::traits(f).name, f, {})->Arg(2);
  for (auto f : {Format::mxfp4_e2m1, Format::mxint8})
    add(std::string("BM_FakeQuantReference/") + mxlab::traits(f).name, f, {}, true)->Iterations(1);
  return true;
}();
}  // namespace

BENCHMARK_MAIN();
