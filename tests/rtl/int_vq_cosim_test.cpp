// Verilated INT-N MAC and VQ dequant MAC units of the catalog (rtl/units.json) vs their C++ models: seeded random
// vectors, extremes, wrap-around. One test per unit (MXLAB_RTL_INT_MAC_UNITS, MXLAB_RTL_VQ_MAC_UNITS).
#include <gtest/gtest.h>

#include <random>

#include "rtl/models/int_mac_model.hpp"
#include "rtl/models/units.hpp"
#include "rtl/verilator/vdriver.hpp"

namespace mxlab::rtl {
namespace {
using verilator::Dut;
using verilator::pack_lanes;

// Random codes of the unit's INT-N types; every 4th vector is all most-negative codes (-2^(n-1) x -2^(n-1): the
// extreme product, which accumulates past 2^31 for INT8).
template <class V>
void int_mac_random_and_extremes(const UnitConfig& u) {
  Dut<V> d;
  const Elem ea = u.stim.elems_a.at(0), eb = u.stim.elems_b.at(0);
  IntMacModel model(ea, eb, 32);
  const int lanes = u.stim.n;
  const auto min_a = static_cast<std::uint8_t>(1u << (elem_spec(ea).bits - 1));
  const auto min_b = static_cast<std::uint8_t>(1u << (elem_spec(eb).bits - 1));
  std::mt19937_64 rng(11);
  const std::size_t count = 20000;
  std::vector<std::int64_t> want;
  std::vector<std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>>> in;
  std::vector<bool> clr;
  for (std::size_t k = 0; k < count; ++k) {
    std::vector<std::uint8_t> a(lanes), b(lanes);
    const unsigned mode = rng() % 4;
    for (int i = 0; i < lanes; ++i) {
      a[i] = static_cast<std::uint8_t>(rng()), b[i] = static_cast<std::uint8_t>(rng());
      if (mode == 0) a[i] = min_a, b[i] = min_b;
    }
    clr.push_back(k == 0 || rng() % 64 == 0);
    want.push_back(model.step(clr.back(), a, b));
    in.emplace_back(a, b);
  }
  auto& m = *d.m;
  std::size_t i = 0, o = 0, mism = 0;
  while (o < count) {
    m.in_valid = i < count;
    if (i < count) {
      m.in_clear = clr[i];
      pack_lanes(m.in_a, in[i].first);
      pack_lanes(m.in_b, in[i].second);
    }
    m.out_ready = 1;
    m.eval();
    if (m.out_valid) mism += static_cast<std::int32_t>(m.out_acc) != want[o++];
    if (m.in_valid && m.in_ready) ++i;
    d.tick();
  }
  std::printf("[cosim] %s: %zu vectors checked, %zu mismatches\n", u.name.c_str(), o, mism);
  ::testing::Test::RecordProperty("vectors", static_cast<int>(o));
  ::testing::Test::RecordProperty("mismatches", static_cast<int>(mism));
  EXPECT_EQ(mism, 0u);
}

template <class V>
void vq_mac_codebook_lookup_and_mac(const UnitConfig& u) {
  Dut<V> d;
  auto& m = *d.m;
  const int lanes = u.stim.n, dim = u.param("D"), idx_bits = u.param("IDX_BITS");
  VqMacModel model(dim, idx_bits, 32);
  std::mt19937_64 rng(12);
  auto load = [&]() {  // (re)load the whole codebook through the write port
    m.in_valid = 0;
    for (int k = 0; k < (1 << idx_bits); ++k) {
      std::vector<std::uint8_t> cw(dim);
      for (auto& c : cw) c = static_cast<std::uint8_t>(rng());
      model.write(k, std::vector<std::int8_t>(cw.begin(), cw.end()));
      m.cb_we = 1;
      m.cb_addr = k;
      pack_lanes(m.cb_data, cw);
      d.tick();
    }
    m.cb_we = 0;
  };
  std::size_t checked = 0, mism = 0;
  for (int round = 0; round < 8; ++round) {
    load();
    const std::size_t count = 2000;
    std::vector<std::int64_t> want;
    std::vector<std::vector<std::uint32_t>> idx;
    std::vector<std::vector<std::int8_t>> xs;
    for (std::size_t k = 0; k < count; ++k) {
      std::vector<std::uint32_t> id(lanes);
      std::vector<std::int8_t> x(lanes * dim);
      for (auto& v : id) v = rng() % (1u << idx_bits);
      for (auto& v : x) v = static_cast<std::int8_t>(rng());
      want.push_back(model.step(k == 0, id, x));
      idx.push_back(id);
      xs.push_back(x);
    }
    std::size_t i = 0, o = 0;
    while (o < count) {
      m.in_valid = i < count;
      if (i < count) {
        m.in_clear = i == 0;
        std::uint64_t packed = 0;  // index k in bits [k*IDX_BITS, (k+1)*IDX_BITS)
        for (int k = 0; k < lanes; ++k) packed |= std::uint64_t{idx[i][k]} << (idx_bits * k);
        m.in_idx = static_cast<std::remove_reference_t<decltype(m.in_idx)>>(packed);
        std::vector<std::uint8_t> xb(xs[i].begin(), xs[i].end());
        pack_lanes(m.in_x, xb);
      }
      m.out_ready = 1;
      m.eval();
      if (m.out_valid) mism += static_cast<std::int32_t>(m.out_acc) != want[o++];
      if (m.in_valid && m.in_ready) ++i;
      d.tick();
    }
    checked += o;
  }
  std::printf("[cosim] %s: %zu vectors checked (8 codebook loads), %zu mismatches\n", u.name.c_str(), checked, mism);
  ::testing::Test::RecordProperty("vectors", static_cast<int>(checked));
  ::testing::Test::RecordProperty("mismatches", static_cast<int>(mism));
  EXPECT_EQ(mism, 0u);
}

#define MXLAB_INT_MAC_TEST(name, V, params) \
  TEST(IntMacCosim, name) { int_mac_random_and_extremes<V>(unit_config(#name)); }
MXLAB_RTL_INT_MAC_UNITS(MXLAB_INT_MAC_TEST)
#define MXLAB_VQ_MAC_TEST(name, V, params) \
  TEST(VqMacCosim, name) { vq_mac_codebook_lookup_and_mac<V>(unit_config(#name)); }
MXLAB_RTL_VQ_MAC_UNITS(MXLAB_VQ_MAC_TEST)

}  // namespace
}  // namespace mxlab::rtl
