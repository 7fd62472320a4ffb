// Verilated INT-N MAC and VQ dequant MAC vs their C++ models: seeded random vectors, extremes, wrap-around.
#include <gtest/gtest.h>

#include <random>

#include "rtl/models/int_mac_model.hpp"
#include "vdriver.hpp"

namespace mxlab::rtl {
namespace {
using test::Dut;
using test::pack_lanes;

TEST(IntMacCosim, Int8RandomAndExtremes) {
  Dut<Vmxlab_int_mac> d;
  IntMacModel model(Elem::int8, Elem::int8, 32);
  std::mt19937_64 rng(11);
  const std::size_t count = 20000;
  std::vector<std::int64_t> want;
  std::vector<std::pair<std::vector<std::uint8_t>, std::vector<std::uint8_t>>> in;
  std::vector<bool> clr;
  for (std::size_t k = 0; k < count; ++k) {
    std::vector<std::uint8_t> a(8), b(8);
    const unsigned mode = rng() % 4;
    for (int i = 0; i < 8; ++i) {
      a[i] = static_cast<std::uint8_t>(rng()), b[i] = static_cast<std::uint8_t>(rng());
      if (mode == 0) a[i] = 0x80, b[i] = 0x80;  // -128 x -128: the extreme product (accumulates past 2^31)
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
  std::printf("[cosim] int_mac: %zu vectors checked, %zu mismatches\n", o, mism);
  RecordProperty("vectors", static_cast<int>(o));
  RecordProperty("mismatches", static_cast<int>(mism));
  EXPECT_EQ(mism, 0u);
}

TEST(VqMacCosim, CodebookLoadLookupAndMac) {
  Dut<Vmxlab_vq_mac> d;
  auto& m = *d.m;
  VqMacModel model(2, 4, 32);
  std::mt19937_64 rng(12);
  auto load = [&]() {  // (re)load the whole codebook through the write port
    m.in_valid = 0;
    for (int k = 0; k < 16; ++k) {
      const std::int8_t cw[2] = {static_cast<std::int8_t>(rng()), static_cast<std::int8_t>(rng())};
      model.write(k, cw);
      m.cb_we = 1;
      m.cb_addr = k;
      m.cb_data = static_cast<std::uint8_t>(cw[0]) | (static_cast<std::uint16_t>(static_cast<std::uint8_t>(cw[1])) << 8);
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
      std::vector<std::uint32_t> id(8);
      std::vector<std::int8_t> x(16);
      for (auto& v : id) v = rng() % 16;
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
        std::uint32_t packed = 0;
        for (int k = 0; k < 8; ++k) packed |= idx[i][k] << (4 * k);
        m.in_idx = packed;
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
  std::printf("[cosim] vq_mac: %zu vectors checked (8 codebook loads), %zu mismatches\n", checked, mism);
  RecordProperty("vectors", static_cast<int>(checked));
  RecordProperty("mismatches", static_cast<int>(mism));
  EXPECT_EQ(mism, 0u);
}

}  // namespace
}  // namespace mxlab::rtl
