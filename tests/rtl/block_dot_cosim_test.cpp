// Verilated block dot units, and their C++ model, vs the independent reference (rtl/models/oracle_reference.hpp)
// for every block dot unit of the catalog (rtl/units.json): seeded random, adversarial, output stalls, every
// element product of every element-type pair (alone, then accumulated several per block under non-unit scales
// without clearing), the hand-written spec table, and every scale pair. Each test reports vectors, mismatches and
// what the stream covered (inexact, ties, underflow, tiny exact, overflow, NaN, Inf, exact zero).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "reference_check.hpp"
#include "spec_cases.hpp"
#include "rtl/models/units.hpp"
#include "rtl/verilator/vdriver.hpp"

#ifndef MXLAB_RTL_RANDOM_BLOCKS
#define MXLAB_RTL_RANDOM_BLOCKS 10000
#endif

namespace mxlab::rtl {
namespace {
using reference::Coverage;
using verilator::CosimStats;
using verilator::stream_unit;

class BlockDotCosim : public ::testing::TestWithParam<std::string> {};

void report(const std::string& what, const std::string& unit, const CosimStats& st) {
  std::printf("[cosim] %s %s: %zu vectors checked, %zu mismatches\n", unit.c_str(), what.c_str(), st.checked,
              st.mismatches);
  ::testing::Test::RecordProperty("vectors", static_cast<int>(st.checked));
  ::testing::Test::RecordProperty("mismatches", static_cast<int>(st.mismatches));
  EXPECT_EQ(st.mismatches, 0u) << unit << " " << what << ": RTL vs reference";
  EXPECT_GT(st.checked, 0u);
}

// Expectations from the reference, the model checked against them, then the RTL streamed against them.
Coverage check_stream(const UnitConfig& u, const std::string& what, std::vector<BlockVector>& v) {
  const ReferenceRun ref = expect_from_reference(v, u.stim.scale, u.name, what);
  EXPECT_EQ(ref.model.mismatches, 0u) << u.name << " " << what << ": C++ model vs reference";
  report(what, u.name, stream_unit(u.name, v));
  return ref.cov;
}

TEST_P(BlockDotCosim, RandomAndAdversarial) {
  const UnitConfig& u = unit_config(GetParam());
  std::vector<BlockVector> v = adversarial_blocks(u.stim);
  const std::size_t n_adv = v.size();
  auto rnd = random_blocks(u.stim, MXLAB_RTL_RANDOM_BLOCKS, 2024);
  v.insert(v.end(), rnd.begin(), rnd.end());
  std::printf("[cosim] %s: %zu adversarial + %zu random block pairs\n", u.name.c_str(), n_adv, v.size() - n_adv);
  const Coverage cov = check_stream(u, "random+adversarial", v);
  EXPECT_GE(cov.steps, static_cast<std::size_t>(MXLAB_RTL_RANDOM_BLOCKS));
  EXPECT_GT(cov.nan, 0u);
  EXPECT_GT(cov.inexact, 0u);
#ifndef MXLAB_RTL_SLOW
  // the same stream (expectations already from the reference) with random output stalls (valid/ready back-pressure)
  std::vector<BlockVector> w(v.begin(), v.begin() + std::min<std::size_t>(v.size(), 3000));
  report("with 30% output stalls", u.name, stream_unit(u.name, w, 0.3, 5));
#endif
}

#ifndef MXLAB_RTL_SLOW
// A scale pair for the accumulated product stream: log2(X_A X_B) near 0 (rounding, ties, cancellation), further
// off (sticky), in the underflow band, in the overflow band, a NaN scale, or any codes. Returns true when the pair
// may leave the accumulator at Inf/NaN (the next block then clears).
bool draw_scales(std::mt19937_64& rng, ScaleType s, BlockVector& x) {
  const unsigned r = rng() % 100;
  auto uni = [&](int lo, int hi) { return lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)); };
  if (s == ScaleType::ue4m3) {  // 0x00 = 0 ... 0x7E = 448, 0x7F NaN: every code is in range of FP32
    x.xa = static_cast<std::uint8_t>(r < 4 ? 0x7F : rng() % 0x7F);
    x.xb = static_cast<std::uint8_t>(r < 8 ? rng() % 0x80 : rng() % 0x7F);
    return r < 8;
  }
  const int t = r < 50 ? uni(-8, 8) : r < 65 ? uni(-40, 40) : r < 78 ? uni(-165, -110) : uni(105, 135);
  if (s == ScaleType::fp32 || s == ScaleType::fp32_zero) {
    // FP32: X_A X_B about 2^t (signs and mantissas random; below 2^-126 a subnormal scale), NaN/Inf, any bits
    // in the underflow band, half the time one scale near 1 and the other subnormal (clamped at 2^-149)
    const int sa = r >= 65 && r < 78 && rng() % 2
                       ? uni(-20, 20)
                       : std::clamp(t / 2 + uni(-2, 2), std::max(-126, t - 127), std::min(127, t + 149));
    // the significand: 1 (half the time: exact sums, ties and tiny exact results stay reachable), 1 + 3 random bits,
    // or 24 random bits
    auto fp32 = [&](int k) -> std::uint64_t {
      const std::uint64_t sign = rng() % 4 == 0 ? 0x80000000u : 0u, m = rng() % 4;
      const std::uint64_t bits = m < 2 ? 0 : m == 2 ? (rng() & 7) << 20 : rng() & 0x7FFFFF;
      if (k < -126) {  // subnormal: 2^k with the top mantissa bits
        const std::uint64_t sub = std::uint64_t{1} << (k + 149);
        return sign | sub | ((bits >> (-126 - k)) & (sub - 1));
      }
      return sign | static_cast<std::uint64_t>(k + 127) << 23 | bits;
    };
    x.xa = fp32(sa);
    x.xb = fp32(std::max(t - sa, -149));
    if (r >= 86 && r < 90) (rng() % 2 ? x.xa : x.xb) = rng() % 2 ? 0x7F800000 : 0xFFC00000;
    if (r >= 90) x.xa = static_cast<std::uint32_t>(rng()), x.xb = static_cast<std::uint32_t>(rng());
    if (s == ScaleType::fp32_zero) {  // zero points: uniform over the element's codes, or 0xFF
      for (auto [xs, e] : {std::pair{&x.xa, x.ea}, std::pair{&x.xb, x.eb}})
        *xs |= static_cast<std::uint64_t>(rng() % 8 == 0 ? 0xFF : rng() % (1u << elem_spec(e).bits)) << 32;
    }
    return r >= 78;
  }
  const int sa = std::clamp(t / 2 + uni(-2, 2), std::max(-127, t - 127), std::min(127, t + 127));
  x.xa = static_cast<std::uint8_t>(127 + sa);
  x.xb = static_cast<std::uint8_t>(127 + t - sa);
  if (r >= 86 && r < 90) (rng() % 2 ? x.xa : x.xb) = 0xFF;
  if (r >= 90) x.xa = static_cast<std::uint8_t>(rng()), x.xb = static_cast<std::uint8_t>(rng());
  return r >= 78;
}

bool special_code(Elem e, std::uint32_t c) { return !std::isfinite(decode_elem(e, c)); }

// Every product of element codes (ca, cb) of one type pair, as block pairs. Isolated: one product per block,
// scales 2^0, clear each time (the output is that exact product). Accumulated: the products packed 2..7 (or N) per
// block on lanes spread over the vector, scales from draw_scales, clear on about one block in 16, the set repeated
// up to >= 16384 products, so rounding, ties, sticky, underflow, overflow are all taken; a product with a NaN or Inf
// code gets a block of its own, added to the running sum (Inf + x, Inf - Inf, NaN), and the next block clears.
std::vector<BlockVector> product_blocks(const UnitConfig& u, Elem ea, Elem eb, bool accumulated) {
  const int n = u.stim.n, bb = elem_spec(eb).bits;
  const std::uint32_t products = 1u << (elem_spec(ea).bits + bb);
  const std::uint64_t one = u.stim.scale == ScaleType::e8m0    ? 127
                            : u.stim.scale == ScaleType::ue4m3 ? 0x38
                                                                : 0x3F800000;  // FP32 1.0, zero point 0
  std::mt19937_64 rng(products * 131 + static_cast<unsigned>(ea) * 17 + static_cast<unsigned>(eb));
  std::vector<BlockVector> v;
  const std::uint32_t total = accumulated ? std::max(products, 16384u) : products;
  bool clear_next = true;
  for (std::uint32_t k = 0; k < total;) {
    BlockVector x;
    x.ea = ea, x.eb = eb;
    x.a.assign(n, 0), x.b.assign(n, 0);
    const int p = !accumulated ? 1 : v.size() % 8 == 7 ? n : 2 + static_cast<int>(v.size() % 6);
    const int start = static_cast<int>((v.size() * 7) % n);
    bool special = false;
    for (int j = 0; j < p && k < total && !special; ++j, ++k) {
      const int lane = accumulated ? (start + 5 * j) % n : static_cast<int>(k % n);  // stride 5: odd, every lane
      const std::uint32_t ca = (k % products) >> bb, cb = (k % products) & ((1u << bb) - 1);
      const bool sp = accumulated && (special_code(ea, ca) || special_code(eb, cb));
      if (sp && j > 0) break;  // alone in the next block
      special = sp;
      x.a[lane] = static_cast<std::uint8_t>(ca);
      x.b[lane] = static_cast<std::uint8_t>(cb);
    }
    x.xa = x.xb = one;
    x.clear = !accumulated || clear_next || rng() % 16 == 0;
    clear_next = accumulated && (draw_scales(rng, u.stim.scale, x) || special);
    v.push_back(std::move(x));
  }
  return v;
}

TEST_P(BlockDotCosim, ExhaustiveProductsEveryElementPair) {
  const UnitConfig& u = unit_config(GetParam());
  for (const bool accumulated : {false, true}) {
    std::vector<BlockVector> v;
    for (Elem ea : u.stim.elems_a)
      for (Elem eb : u.stim.elems_b) {
        const std::vector<BlockVector> w = product_blocks(u, ea, eb, accumulated);
        v.insert(v.end(), w.begin(), w.end());
      }
    const Coverage cov = check_stream(u, accumulated ? "products accumulated" : "products isolated", v);
    if (!accumulated) {  // one exact product per block: never rounded
      EXPECT_EQ(cov.inexact, 0u);
      continue;
    }
    EXPECT_GT(cov.inexact, 0u);
    EXPECT_GT(cov.ties, 0u);
    EXPECT_GT(cov.nan, 0u);
    EXPECT_GT(cov.zero, 0u);
    if (u.stim.scale != ScaleType::ue4m3) {  // UE4M3 scales keep every block value inside FP32's normal range
      EXPECT_GT(cov.underflow, 0u);
      EXPECT_GT(cov.tiny_exact, 0u);
      EXPECT_GT(cov.overflow, 0u);
      EXPECT_GT(cov.inf, 0u);
    }
  }
}

// The hand-written spec table (spec_cases.hpp) through the unit, for every case whose element and scale types it
// takes: the accumulator first set to the case's starting value (an exact E4M3 block, where the unit takes E4M3 x
// E4M3), then the case's block. Expectations from the reference; each case's result is also the table's literal.
TEST_P(BlockDotCosim, HandWrittenSpecCases) {
  const UnitConfig& u = unit_config(GetParam());
  auto takes = [](const std::vector<Elem>& v, Elem e) { return std::find(v.begin(), v.end(), e) != v.end(); };
  const bool setter = takes(u.stim.elems_a, Elem::e4m3) && takes(u.stim.elems_b, Elem::e4m3) &&
                      u.stim.scale == ScaleType::e8m0 && u.stim.n >= 24;
  std::vector<BlockVector> v;
  std::vector<std::pair<std::size_t, const SpecCase*>> at;  // where each case's block is
  for (const SpecCase& c : spec_cases()) {
    if (c.f != AccFormat{} || c.scale != u.stim.scale || !takes(u.stim.elems_a, c.ea) || !takes(u.stim.elems_b, c.eb) ||
        (c.alpha && !u.stim.tensor_scale))
      continue;
    std::vector<BlockVector> pre;
    if (c.acc_before != 0) {
      if (!setter) continue;
      pre = fp32_setter_blocks(static_cast<std::uint32_t>(c.acc_before), u.stim.n);
    }
    BlockVector x = spec_block(c);
    x.a.resize(u.stim.n), x.b.resize(u.stim.n);
    x.clear = pre.empty();
    v.insert(v.end(), pre.begin(), pre.end());
    at.emplace_back(v.size(), &c);
    v.push_back(std::move(x));
  }
  if (v.empty()) GTEST_SKIP() << u.name << " takes none of the cases' element types";
  check_stream(u, "hand-written spec cases", v);
  for (const auto& [i, c] : at) {
    if (c->acc_before != 0) {
      EXPECT_EQ(v[i - 1].acc, c->acc_before) << c->what << ": the setter block";
    }
    EXPECT_EQ(v[i].acc, c->want) << c->what;
    EXPECT_EQ(v[i].flags, c->flags) << c->what;
  }
  std::printf("[cosim] %s: %zu hand-written spec cases\n", u.name.c_str(), at.size());
}

// Every pair of scale values (scale_values: 256 x 256 bytes for E8M0 and UE4M3, whose bit 7 is a don't-care bit;
// every FP32 class, with zero points at the range ends, for the FP32 scales) on fixed (random) element blocks.
TEST_P(BlockDotCosim, EveryScalePair) {
  const UnitConfig& u = unit_config(GetParam());
  std::vector<BlockVector> base = random_blocks(u.stim, 4, 99);
  std::vector<BlockVector> v;
  std::size_t k = 0;
  for (const std::uint64_t xa : scale_values(u.stim.scale, u.stim.elems_a.front()))
    for (const std::uint64_t xb : scale_values(u.stim.scale, u.stim.elems_b.front())) {
      BlockVector x = base[k++ % 4];
      x.xa = xa, x.xb = xb, x.clear = true;
      v.push_back(std::move(x));
    }
  check_stream(u, "every scale pair", v);
}
#endif

INSTANTIATE_TEST_SUITE_P(Catalog, BlockDotCosim, ::testing::ValuesIn(unit_names(UnitKind::block_dot)),
                         [](const auto& i) { return i.param; });

}  // namespace
}  // namespace mxlab::rtl
