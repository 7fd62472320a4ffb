// Verilated block dot units vs the C++ bit-exact model, for every block dot unit of the catalog (rtl/units.json):
// seeded random, adversarial, stalls, exhaustive products of every element-type pair, and every scale pair on fixed
// elements. Each test reports vectors and mismatches.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "rtl/models/units.hpp"
#include "rtl/verilator/vdriver.hpp"

#ifndef MXLAB_RTL_RANDOM_BLOCKS
#define MXLAB_RTL_RANDOM_BLOCKS 10000
#endif

namespace mxlab::rtl {
namespace {
using verilator::CosimStats;
using verilator::stream_unit;

class BlockDotCosim : public ::testing::TestWithParam<std::string> {};

void report(const char* what, const std::string& unit, const CosimStats& st) {
  std::printf("[cosim] %s %s: %zu vectors checked, %zu mismatches\n", unit.c_str(), what, st.checked, st.mismatches);
  ::testing::Test::RecordProperty("vectors", static_cast<int>(st.checked));
  ::testing::Test::RecordProperty("mismatches", static_cast<int>(st.mismatches));
  EXPECT_EQ(st.mismatches, 0u);
  EXPECT_GT(st.checked, 0u);
}

TEST_P(BlockDotCosim, RandomAndAdversarial) {
  const std::string unit = GetParam();
  const UnitConfig& u = unit_config(unit);
  std::vector<BlockVector> v = adversarial_blocks(u.stim);
  const std::size_t n_adv = v.size();
  auto rnd = random_blocks(u.stim, MXLAB_RTL_RANDOM_BLOCKS, 2024);
  v.insert(v.end(), rnd.begin(), rnd.end());
  run_model(v, u.stim.scale);
  const CosimStats st = stream_unit(unit, v);
  std::printf("[cosim] %s: %zu adversarial + %zu random block pairs\n", unit.c_str(), n_adv, v.size() - n_adv);
  report("random+adversarial", unit, st);
  EXPECT_GE(st.checked, static_cast<std::size_t>(MXLAB_RTL_RANDOM_BLOCKS));
#ifndef MXLAB_RTL_SLOW
  // the same stream with random output stalls (valid/ready back-pressure)
  std::vector<BlockVector> w(v.begin(), v.begin() + std::min<std::size_t>(v.size(), 3000));
  report("with 30% output stalls", unit, stream_unit(unit, w, 0.3, 5));
#endif
}

#ifndef MXLAB_RTL_SLOW
// Every element product of every pair of element types a unit accepts (one product per block, scales 2^0):
// the output must be the exact product (representable in FP32) and the RTL must equal the model.
TEST_P(BlockDotCosim, ExhaustiveProductsEveryElementPair) {
  const std::string unit = GetParam();
  const UnitConfig& u = unit_config(unit);
  CosimStats total;
  std::size_t exact_fail = 0;
  const std::uint8_t one = u.stim.scale == ScaleType::e8m0 ? 127 : 0x38;
  for (Elem ea : u.stim.elems_a)
    for (Elem eb : u.stim.elems_b) {
      const int ba = elem_spec(ea).bits, bb = elem_spec(eb).bits;
      std::vector<BlockVector> v;
      std::vector<double> prod;  // the plain product of formats::decode_elem values (MX INT: k 2^-(n-2))
      v.reserve(std::size_t{1} << (ba + bb));
      auto value = [](Elem e, std::uint32_t c) {
        const double x = decode_elem(e, c);
        return elem_spec(e).is_int ? std::ldexp(x, -(elem_spec(e).bits - 2)) : x;
      };
      for (std::uint32_t ca = 0; ca < (1u << ba); ++ca)
        for (std::uint32_t cb = 0; cb < (1u << bb); ++cb) {
          BlockVector x;
          x.ea = ea, x.eb = eb, x.clear = true, x.xa = one, x.xb = one;
          x.a.assign(u.stim.n, 0), x.b.assign(u.stim.n, 0);
          x.a[ca % u.stim.n] = static_cast<std::uint8_t>(ca);  // walk the product over the lanes
          x.b[ca % u.stim.n] = static_cast<std::uint8_t>(cb);
          v.push_back(std::move(x));
          prod.push_back(value(ea, ca) * value(eb, cb));
        }
      run_model(v, u.stim.scale);
      for (std::size_t k = 0; k < v.size(); ++k) {
        const double p = prod[k];
        if (std::isnan(p)) { exact_fail += v[k].acc != 0x7FC00000u; continue; }
        const float pf = static_cast<float>(p);
        std::uint32_t bits;
        std::memcpy(&bits, &pf, 4);
        if (p == 0) bits = 0;  // an exact zero sum is +0
        exact_fail += v[k].acc != bits || static_cast<double>(pf) != p;
      }
      const CosimStats st = stream_unit(unit, v);
      total.checked += st.checked;
      total.mismatches += st.mismatches;
    }
  EXPECT_EQ(exact_fail, 0u) << "model product differs from the exact product";
  report("exhaustive element products", unit, total);
}

// Every scale pair on fixed (random) element blocks: E8M0 256 x 256, UE4M3 128 x 128.
TEST_P(BlockDotCosim, EveryScalePair) {
  const std::string unit = GetParam();
  const UnitConfig& u = unit_config(unit);
  const int codes = u.stim.scale == ScaleType::e8m0 ? 256 : 128;
  std::vector<BlockVector> base = random_blocks(u.stim, 4, 99);
  std::vector<BlockVector> v;
  for (int xa = 0; xa < codes; ++xa)
    for (int xb = 0; xb < codes; ++xb) {
      BlockVector x = base[(xa + xb) % 4];
      x.xa = static_cast<std::uint8_t>(xa), x.xb = static_cast<std::uint8_t>(xb), x.clear = true;
      v.push_back(std::move(x));
    }
  run_model(v, u.stim.scale);
  report("every scale pair", unit, stream_unit(unit, v));
}
#endif

INSTANTIATE_TEST_SUITE_P(Catalog, BlockDotCosim, ::testing::ValuesIn(unit_names(UnitKind::block_dot)));

}  // namespace
}  // namespace mxlab::rtl
