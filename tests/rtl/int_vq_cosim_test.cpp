// Verilated INT-N MAC and VQ dequant MAC units of the catalog (rtl/units.json, MXLAB_RTL_INT_MAC_UNITS,
// MXLAB_RTL_VQ_MAC_UNITS): every expected output comes from the independent reference (rtl/models/int_reference.hpp:
// exact integer sums of formats/-decoded codes and VqCodebook-decoded codewords, reduced mod 2^32 at the end), never
// from the C++ models, which are checked against the same reference. Per unit: adversarial + random vectors with and
// without output stalls, every lane product exhaustively (each code pair at each lane), and the wrap-around of the
// 32-bit accumulator in both directions where the unit's largest products reach it within the vector budget.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <random>

#include "rtl/models/int_mac_model.hpp"
#include "rtl/models/int_reference.hpp"
#include "rtl/models/units.hpp"
#include "rtl/verilator/int_driver.hpp"

#ifndef MXLAB_RTL_INT_WRAP_MAX
#define MXLAB_RTL_INT_WRAP_MAX (std::size_t{1} << 24)  // vectors per wrap direction in the default run
#endif

namespace mxlab::rtl {
namespace {
using verilator::CosimStats;
using verilator::Dut;

void report(const UnitConfig& u, const char* what, std::size_t vectors, const CosimStats& st, const std::string& extra) {
  std::printf("[cosim] %s %s: %zu vectors checked, %zu mismatches%s\n", u.name.c_str(), what, st.checked,
              st.mismatches, extra.c_str());
  ::testing::Test::RecordProperty("vectors", static_cast<int>(st.checked));
  ::testing::Test::RecordProperty("mismatches", static_cast<int>(st.mismatches));
  EXPECT_EQ(st.mismatches, 0u) << u.name << " " << what;
  EXPECT_EQ(st.checked, vectors) << u.name << " " << what;
}

// A lazily generated int_mac stream: `gen(k, step)` fills vector k's inputs, the reference its expectation.
template <class V>
CosimStats int_stream(const UnitConfig& u, std::size_t count, std::function<void(std::size_t, IntStep&)> gen,
                      reference::IntMacReference& ref, double stall = 0.0) {
  Dut<V> d;
  std::size_t k = 0;
  return verilator::drive_int_unit<V, IntStep>(
      d,
      [&](IntStep& s) {
        if (k == count) return false;
        s.a.assign(u.stim.n, 0), s.b.assign(u.stim.n, 0), s.clear = false;
        gen(k++, s);
        s.acc = ref.step(s.clear, s.a, s.b);
        return true;
      },
      0, stall, 3);
}

template <class V>
void int_mac_adversarial_and_random(const UnitConfig& u) {
  const std::vector<IntStep> v = int_mac_stimulus(u, 20000, 11);
  IntMacModel model(u.stim.elems_a.at(0), u.stim.elems_b.at(0), 32);  // the C++ model against the same reference
  std::size_t model_mism = 0;
  for (const IntStep& s : v) model_mism += model.step(s.clear, s.a, s.b) != s.acc;
  EXPECT_EQ(model_mism, 0u) << "C++ model vs reference";
  report(u, "adversarial+random", v.size(), verilator::stream_int_unit(u.name, v), "");
  report(u, "adversarial+random, 30% output stalls", v.size(), verilator::stream_int_unit(u.name, v, 0.3, 5),
         ", model vs reference: " + std::to_string(model_mism) + " mismatches");
}

// Every code pair (a, b) of the two element types at every lane: one pair per vector on lane `lane`, the other lanes
// zero codes with random don't-care bits above the code, every vector cleared (the output is that one product),
// then the same pairs accumulated without clears.
template <class V>
void int_mac_exhaustive_products(const UnitConfig& u) {
  const Elem ea = u.stim.elems_a.at(0), eb = u.stim.elems_b.at(0);
  const int ba = elem_spec(ea).bits, bb = elem_spec(eb).bits, n = u.stim.n;
  const std::size_t pairs = std::size_t{1} << (ba + bb), count = pairs * n;
  std::mt19937_64 rng(5);
  for (bool clear_each : {true, false}) {
    reference::IntMacReference ref(ea, eb, 32);
    const CosimStats st = int_stream<V>(
        u, count,
        [&](std::size_t k, IntStep& s) {
          const std::size_t p = k / n;
          const int lane = static_cast<int>((k + p) % n);
          for (int i = 0; i < n; ++i)
            s.a[i] = static_cast<std::uint8_t>(rng() << ba), s.b[i] = static_cast<std::uint8_t>(rng() << bb);
          s.a[lane] = static_cast<std::uint8_t>((p & ((1u << ba) - 1)) | (rng() << ba));
          s.b[lane] = static_cast<std::uint8_t>((p >> ba) | (rng() << bb));
          s.clear = clear_each || k == 0;
        },
        ref);
    report(u, clear_each ? "exhaustive lane products (each cleared)" : "exhaustive lane products (accumulated)", count,
           st, " (" + std::to_string(pairs) + " code pairs x " + std::to_string(n) + " lanes)");
  }
}

// Largest positive products (most negative x most negative) without clears until the exact sum passes 2^31, then
// (after a clear) the most negative products until it passes -2^31: the accumulator must wrap both ways, with
// output stalls. Units whose products need more than MXLAB_RTL_INT_WRAP_MAX vectors a direction are skipped here
// (ctest -L slow raises the budget).
template <class V>
void int_mac_wraparound(const UnitConfig& u) {
  const Elem ea = u.stim.elems_a.at(0), eb = u.stim.elems_b.at(0);
  const int ba = elem_spec(ea).bits, bb = elem_spec(eb).bits, n = u.stim.n;
  const auto min_a = static_cast<std::uint8_t>(1u << (ba - 1)), min_b = static_cast<std::uint8_t>(1u << (bb - 1));
  const auto max_b = static_cast<std::uint8_t>(min_b - 1);
  const std::int64_t up = std::int64_t{n} << (ba + bb - 2), down = std::int64_t{n} * (std::int64_t{1} << (ba - 1)) * (min_b - 1);
  const std::size_t need_up = static_cast<std::size_t>((std::int64_t{1} << 31) / up + 2);
  const std::size_t need_down = static_cast<std::size_t>((std::int64_t{1} << 31) / down + 2);
  if (std::max(need_up, need_down) > MXLAB_RTL_INT_WRAP_MAX)
    GTEST_SKIP() << u.name << ": the accumulator wraps after " << need_up << " / " << need_down
                 << " vectors, beyond this run's budget of " << MXLAB_RTL_INT_WRAP_MAX;
  reference::IntMacReference ref(ea, eb, 32);
  const std::size_t count = need_up + need_down;
  const CosimStats st = int_stream<V>(
      u, count,
      [&](std::size_t k, IntStep& s) {
        const bool neg = k >= need_up;
        s.clear = k == 0 || k == need_up;
        for (int i = 0; i < n; ++i) s.a[i] = min_a, s.b[i] = neg ? max_b : min_b;
      },
      ref, 0.2);
  EXPECT_GE(ref.wraps(), 2u) << "the stream must leave the accumulator range both ways";
  report(u, "wrap-around both ways, 20% output stalls", count, st,
         " (" + std::to_string(ref.wraps()) + " outputs past the 32-bit range)");
}

// VQ: codebook loads (extreme, then random, each written while the previous vectors are still in flight) and
// vectors, with and without output stalls.
template <class V>
void vq_mac_loads_and_vectors(const UnitConfig& u) {
  const std::vector<VqStep> v = vq_mac_stimulus(u, 16000, 12);
  VqMacModel model(u.param("D"), u.param("IDX_BITS"), 32);
  std::size_t model_mism = 0, vectors = 0;
  for (const VqStep& s : v) {
    if (s.write) model.write(s.addr, s.cw);
    else model_mism += model.step(s.clear, s.idx, s.x) != s.acc, ++vectors;
  }
  EXPECT_EQ(model_mism, 0u) << "C++ model vs reference";
  report(u, "codebook loads + adversarial/random", vectors, verilator::stream_vq_unit(u.name, v), "");
  report(u, "codebook loads + adversarial/random, 30% output stalls", vectors,
         verilator::stream_vq_unit(u.name, v, 0.3, 9),
         ", model vs reference: " + std::to_string(model_mism) + " mismatches");
}

// VQ: every product (codebook entry value in [-127, 127], activation in [-128, 127]) at every (index slot, dim)
// position: codebooks that together hold every entry value (entry 0 is 127 in each, so the scale is 1), then for
// each entry one vector per activation value, that entry's index on every slot, the activation on one position.
template <class V>
void vq_mac_exhaustive_products(const UnitConfig& u) {
  const int n = u.stim.n, dim = u.param("D"), idx_bits = u.param("IDX_BITS"), k_count = 1 << idx_bits;
  const int free = k_count * dim - 1, loads = (255 + free - 1) / free;
  std::deque<VqCodebook> books;
  reference::VqMacReference ref(32);
  Dut<V> d;
  std::size_t vectors = 0;
  int load = -1, cell = 0, xv = 0;
  std::deque<VqStep> pending;
  auto refill = [&]() {  // next codebook: entry 0 = 127, the others the next `free` values of -127..127
    ++load;
    std::vector<float> cw(static_cast<std::size_t>(k_count * dim));
    cw[0] = 127.0f;
    for (int j = 1; j < k_count * dim; ++j) cw[j] = static_cast<float>((load * free + j - 1) % 255 - 127);
    books.emplace_back(dim, idx_bits / dim, VqStorage::int8, cw);
    for (const VqStep& w : reference::vq_load_steps(books.back(), static_cast<std::uint64_t>(load))) pending.push_back(w);
    cell = 0, xv = 0;
  };
  refill();
  bool loaded_pending = true;
  const CosimStats st = verilator::drive_int_unit<V, VqStep>(
      d,
      [&](VqStep& s) {
        if (!pending.empty()) {
          s = pending.front();
          pending.pop_front();
          return true;
        }
        if (loaded_pending) ref.load(books.back()), loaded_pending = false;
        if (xv == 256) ++cell, xv = 0;
        if (cell == k_count * dim) {
          if (load + 1 == loads) return false;
          refill();
          loaded_pending = true;
          s = pending.front();
          pending.pop_front();
          return true;
        }
        const int idx = cell / dim, dd = cell % dim, pos = (xv + cell) % n;
        s = VqStep{};
        s.clear = true;
        s.idx.assign(n, static_cast<std::uint32_t>(idx));
        s.x.assign(static_cast<std::size_t>(n * dim), 0);
        s.x[static_cast<std::size_t>(pos * dim + dd)] = static_cast<std::int8_t>(xv - 128);
        ++xv;
        s.acc = ref.step(s.clear, s.idx, s.x);
        ++vectors;
        return true;
      },
      idx_bits, 0.0, 1);
  report(u, "exhaustive entry x activation products", vectors, st,
         " (" + std::to_string(loads) + " codebook loads, every entry value x every activation)");
}

#ifndef MXLAB_RTL_SLOW
#define MXLAB_INT_MAC_TEST(name, V, params)                                                \
  TEST(IntMacCosim, name) { int_mac_adversarial_and_random<V>(unit_config(#name)); }        \
  TEST(IntMacExhaustive, name) { int_mac_exhaustive_products<V>(unit_config(#name)); }      \
  TEST(IntMacWrap, name) { int_mac_wraparound<V>(unit_config(#name)); }
MXLAB_RTL_INT_MAC_UNITS(MXLAB_INT_MAC_TEST)
#define MXLAB_VQ_MAC_TEST(name, V, params)                                                 \
  TEST(VqMacCosim, name) { vq_mac_loads_and_vectors<V>(unit_config(#name)); }               \
  TEST(VqMacExhaustive, name) { vq_mac_exhaustive_products<V>(unit_config(#name)); }
MXLAB_RTL_VQ_MAC_UNITS(MXLAB_VQ_MAC_TEST)
#else
#define MXLAB_INT_MAC_TEST(name, V, params) \
  TEST(IntMacWrapSlow, name) { int_mac_wraparound<V>(unit_config(#name)); }
MXLAB_RTL_INT_MAC_UNITS(MXLAB_INT_MAC_TEST)
#endif

}  // namespace
}  // namespace mxlab::rtl
