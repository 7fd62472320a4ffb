// Verilated throughput of the catalog's block dot units (rtl/units.json): block pairs (vectors) per second, one per
// cycle, no checking. One BM_Verilated_<unit> per unit.
#include <benchmark/benchmark.h>

#include "rtl/models/units.hpp"
#include "rtl/verilator/vdriver.hpp"

namespace {
using namespace mxlab::rtl;

template <class V>
void BM_Verilated(benchmark::State& state, const std::string& unit) {
  const UnitConfig& u = unit_config(unit);
  const auto v = random_blocks(u.stim, 4096, 1);
  verilator::Dut<V> d;
  auto& m = *d.m;
  m.out_ready = 1;
  m.in_valid = 1;
  std::size_t k = 0, outs = 0;
  for (auto _ : state) {
    verilator::drive_block(m, v[k++ & 4095]);
    d.tick();
    outs += m.out_valid;
  }
  benchmark::DoNotOptimize(outs);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
#define MXLAB_BENCH_UNIT(name, V, params) \
  void BM_Verilated_##name(benchmark::State& s) { BM_Verilated<V>(s, #name); } \
  BENCHMARK(BM_Verilated_##name);
MXLAB_RTL_BLOCK_DOT_UNITS(MXLAB_BENCH_UNIT)
#undef MXLAB_BENCH_UNIT

// Model-only rate of the C++ bit-exact model of the same stream (for comparison).
void BM_Model_mxfp4(benchmark::State& state) {
  const UnitConfig& u = unit_config("mxfp4_dot");
  const auto v = random_blocks(u.stim, 4096, 1);
  BlockDotModel m(u.stim.scale);
  std::size_t k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m.step(v[k++ & 4095].pair()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Model_mxfp4);
}  // namespace

BENCHMARK_MAIN();
