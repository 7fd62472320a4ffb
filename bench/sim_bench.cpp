// Speed of the accelerator model (sim/): a full Llama-7B decoder layer, prefill 2048 tokens, in transaction-level
// mode on the shipped 32 x 32 and 128 x 128 arrays (items = simulated MACs: MACs per wall second), beside the same
// layer's tiling alone (no SystemC: the planning's share) and the functional cycle-level PE array (sim/pe/) on a small
// GEMM, the mode whose values are computed.
#include <benchmark/benchmark.h>

#include <random>

#include "sim/pe/pe_array.hpp"
#include "sim/simulate.hpp"

namespace {
using namespace mxlab;
using namespace mxlab::sim;

WorkloadOptions prefill_2048() {
  WorkloadOptions o;
  o.phase = Phase::prefill, o.seq = 2048, o.batch = 1;
  return o;
}

void BM_Layer7BPrefill(benchmark::State& state, const char* arch_name) {
  const ArchConfig arch = load_arch(shipped_arch(arch_name));
  const LlamaShape s = named_shape("7b");
  double macs = 0;
  std::int64_t cycles = 0;
  for (auto _ : state) {
    const SimResult r = simulate_layer(arch, s, prefill_2048(), AccFormat{});
    macs += r.counters.macs, cycles = r.counters.cycles;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(macs));
  state.counters["sim_cycles"] = static_cast<double>(cycles);
  state.counters["MAC_per_s"] = benchmark::Counter(macs, benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_Layer7BPrefill, array32, "array32")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Layer7BPrefill, array128, "array128")->Unit(benchmark::kMillisecond)->UseRealTime();

// Baseline: the same layer's tiling (fold list and closed-form cycles) without the SystemC simulation.
void BM_Layer7BPlanOnly(benchmark::State& state) {
  const ArchConfig arch = load_arch(shipped_arch("array32"));
  const PeChoice pe = choose_pe(arch, Format::mxint8, Format::mxint8);
  const std::vector<Gemm> g = decoder_layer(named_shape("7b"), prefill_2048());
  double macs = 0;
  for (auto _ : state) {
    GemmPlan p;
    for (const Gemm& x : g) plan_gemm({arch, pe.lanes, pe.latency, AccFormat{}}, x, p), macs += x.macs();
    benchmark::DoNotOptimize(p.folds.data());
  }
  state.counters["MAC_per_s"] = benchmark::Counter(macs, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Layer7BPlanOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

// The functional array: C++ PEs clocked cycle by cycle, values computed (64 x 64 outputs, K = 256, 4 x 4 array).
void BM_FunctionalArray(benchmark::State& state) {
  const int m = 64, n = 64, k = 256;
  std::mt19937 rng(1);
  std::normal_distribution<float> d;
  auto rows = [&](int count) {
    std::vector<PackedTensor> out;
    for (int r = 0; r < count; ++r) {
      std::vector<float> x(k);
      for (float& v : x) v = d(rng);
      out.push_back(encode_ref(Format::mxint8, x));
    }
    return out;
  };
  const std::vector<PackedTensor> a = rows(m), w = rows(n);
  double macs = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(run_gemm(4, 4, PeConfig::from_unit("mxint8_dot"), make_cpp_pe, a, w).cycles);
    macs += double(m) * n * k;
  }
  state.counters["MAC_per_s"] = benchmark::Counter(macs, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FunctionalArray)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
BENCHMARK_MAIN();
