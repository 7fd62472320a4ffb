// Verilated throughput of the dequant-MAC units: block pairs (vectors) per second, one per cycle, no checking.
#include <benchmark/benchmark.h>

#include "rtl/models/units.hpp"
#include "vdriver.hpp"

namespace {
using namespace mxlab::rtl;

template <class V>
void BM_Verilated(benchmark::State& state, const std::string& unit) {
  const UnitConfig u = unit_config(unit);
  const auto v = random_blocks(u.stim, 4096, 1);
  test::Dut<V> d;
  auto& m = *d.m;
  m.out_ready = 1;
  m.in_valid = 1;
  std::size_t k = 0, outs = 0;
  for (auto _ : state) {
    const BlockVector& x = v[k++ & 4095];
    m.in_clear = x.clear;
    m.in_sel_a = static_cast<std::uint8_t>(x.ea);
    m.in_sel_b = static_cast<std::uint8_t>(x.eb);
    m.in_xa = x.xa;
    m.in_xb = x.xb;
    test::pack_lanes(m.in_a, x.a);
    test::pack_lanes(m.in_b, x.b);
    d.tick();
    outs += m.out_valid;
  }
  benchmark::DoNotOptimize(outs);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
void BM_Verilated_mxfp4_dot(benchmark::State& s) { BM_Verilated<Vmxlab_mxfp4_dot>(s, "mxfp4_dot"); }
void BM_Verilated_nvfp4_dot(benchmark::State& s) { BM_Verilated<Vmxlab_nvfp4_dot>(s, "nvfp4_dot"); }
void BM_Verilated_fp4v_mac(benchmark::State& s) { BM_Verilated<Vmxlab_fp4v_mac>(s, "fp4v_mac"); }
void BM_Verilated_mx_dot_any(benchmark::State& s) { BM_Verilated<Vmxlab_mx_dot_any>(s, "mx_dot_any"); }
BENCHMARK(BM_Verilated_mxfp4_dot);
BENCHMARK(BM_Verilated_nvfp4_dot);
BENCHMARK(BM_Verilated_fp4v_mac);
BENCHMARK(BM_Verilated_mx_dot_any);

// Model-only rate of the C++ bit-exact model of the same stream (for comparison).
void BM_Model_mxfp4(benchmark::State& state) {
  const UnitConfig u = unit_config("mxfp4_dot");
  const auto v = random_blocks(u.stim, 4096, 1);
  BlockDotModel m(u.stim.scale);
  std::size_t k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(m.step(v[k++ & 4095].pair()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Model_mxfp4);
}  // namespace

BENCHMARK_MAIN();
