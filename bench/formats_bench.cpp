// Fake-quantization throughput per format (16M floats, 1 thread) against memcpy of the same buffer.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstring>
#include <random>
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

void BM_Memcpy(benchmark::State& state) {
  const auto& x = input();
  std::vector<float> y(kCount);
  for (auto _ : state) {
    std::memcpy(y.data(), x.data(), kCount * sizeof(float));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kCount * sizeof(float)));
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond);

void BM_FakeQuant(benchmark::State& state, mxlab::Format f, bool reference) {
  omp_set_num_threads(1);
  const auto& x = input();
  std::vector<float> y(kCount);
  for (auto _ : state) {
    if (reference) mxlab::fake_quantize_ref(f, x, y);
    else mxlab::fake_quantize(f, x, y);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kCount * sizeof(float)));
}

const bool registered = [] {
  for (const auto& t : mxlab::format_table()) {
    benchmark::RegisterBenchmark((std::string("BM_FakeQuant/") + t.name).c_str(), BM_FakeQuant, t.id, false)
        ->Unit(benchmark::kMillisecond);
  }
  for (auto f : {mxlab::Format::mxfp4_e2m1, mxlab::Format::mxint8})
    benchmark::RegisterBenchmark((std::string("BM_FakeQuantReference/") + mxlab::traits(f).name).c_str(),
                                 BM_FakeQuant, f, true)
        ->Unit(benchmark::kMillisecond)->Iterations(1);
  return true;
}();
}  // namespace

BENCHMARK_MAIN();
