// Fast paths against the reference codecs, bit for bit: every format and rounding mode on random and
// adversarial tensors and odd block sizes, NVFP4 with extreme tensor scales, and an exhaustive 2^20-input sweep of
// every family's kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "formats/packed.hpp"
#include "test_util.hpp"

namespace mxlab {
namespace {
using test::bit_equal;

std::vector<float> fast(Format f, std::span<const float> x, const QuantConfig& cfg) {
  std::vector<float> y(x.size());
  fake_quantize(f, x, y, cfg);
  return y;
}
std::vector<float> ref(Format f, std::span<const float> x, const QuantConfig& cfg) {
  std::vector<float> y(x.size());
  fake_quantize_ref(f, x, y, cfg);
  return y;
}

std::vector<float> adversarial() {
  const float sub = std::numeric_limits<float>::denorm_min();
  std::vector<float> x{0.f, -0.f, sub, -sub, 3 * sub, std::ldexp(1.f, -127), std::ldexp(1.f, -126), FLT_MAX, -FLT_MAX,
                       std::nextafter(2.f, 0.f), 2.f, std::nextafter(1.f, 0.f), 6.f, 448.f, 480.f, 57344.f, 2.5f, 5.f,
                       0.25f, 0.75f, 1.f / 128, 3.f / 128, 1e-20f, -1e-30f, 1e30f, 12345.678f};
  std::vector<float> out;
  for (float a : x)  // each value in a block with various companions (so it is the amax or a small element)
    for (float b : {0.f, 1.f, 1e-3f, 1e6f, a * 0.5f, std::nextafter(a, INFINITY)}) {
      std::vector<float> blk(32, b);
      blk[3] = a; blk[11] = -a; blk[31] = a * 0.999f;
      out.insert(out.end(), blk.begin(), blk.end());
    }
  std::vector<float> nanblk(32, 1.f);
  nanblk[7] = NAN;
  out.insert(out.end(), nanblk.begin(), nanblk.end());
  nanblk[7] = -INFINITY;
  out.insert(out.end(), nanblk.begin(), nanblk.end());
  return out;
}

class FastVsRef : public ::testing::TestWithParam<Format> {};

TEST_P(FastVsRef, RandomAndAdversarialAllModesAndBlockSizes) {
  const Format f = GetParam();
  const auto rnd = test::random_blocks(32 * 1024 + 5, 32, 99, -130, 120);
  const auto adv = adversarial();
  for (Round r : test::all_rounds())
    for (int block : {0, 1, 7, 16, 33, 64}) {
      // nvfp4: its own tensor scale at block 7, a given one (a matrix's, shared by its rows) at block 16
      const bool nv = f == Format::nvfp4;
      const QuantConfig cfg{.round = r, .block = block, .seed = 1234, .tensor_scale = nv && (block == 7 || block == 16),
                            .tensor_scale_value = nv && block == 16 ? 0.0371f : 0.0f, .index_base = 77,
                            .flush_subnormal_inputs = block == 1};
      EXPECT_TRUE(bit_equal(fast(f, rnd, cfg), ref(f, rnd, cfg), rnd)) << test::label(f, r) << " block " << block;
      EXPECT_TRUE(bit_equal(fast(f, adv, cfg), ref(f, adv, cfg), adv)) << test::label(f, r) << " block " << block;
    }
}

TEST_P(FastVsRef, InPlaceEqualsOutOfPlace) {
  const Format f = GetParam();
  auto x = test::random_blocks(4096, 32, 5);
  const auto want = fast(f, x, {});
  fake_quantize(f, x, x, {});
  EXPECT_TRUE(bit_equal(x, want));
}

// Exact ties of the element grid: blocks whose scale is a power of two 2^k (amax pinned to max_value * 2^k; NVFP4:
// 6 * 2^k; asymmetric: the range [-z0, maxq - z0] * 2^k), holding every midpoint of adjacent grid values, one ulp
// either side, with both signs.
std::vector<double> grid_midpoints(const FormatTraits& t) {
  std::vector<double> v;
  const ElemSpec& e = t.element();
  if (t.family == Family::int_asym) {
    for (int n = 0; n < (1 << e.bits) - 1; ++n) v.push_back(n + 0.5);
    return v;
  }
  for (std::uint32_t c = 0; c < (1u << e.bits); ++c) {
    const double d = decode_elem(e.id, c);
    if (std::isfinite(d) && d >= 0) v.push_back(std::ldexp(d, -t.frac_bits));
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::vector<double> mid;
  for (std::size_t i = 0; i + 1 < v.size(); ++i) mid.push_back((v[i] + v[i + 1]) / 2);
  return mid;
}

std::vector<float> tie_blocks(const FormatTraits& t, int k, int z0) {
  const std::size_t block = static_cast<std::size_t>(t.default_block);
  const double maxq = (1 << t.element().bits) - 1;
  std::vector<float> vals;
  for (double m : grid_midpoints(t)) {
    const auto a = static_cast<float>(std::ldexp(t.family == Family::int_asym ? m - z0 : m, k));
    for (float v : {a, std::nextafter(a, 0.f), std::nextafter(a, INFINITY)})
      for (float sv : {v, -v})
        if (t.family != Family::int_asym || (sv >= -z0 * std::ldexp(1.f, k) && sv <= (maxq - z0) * std::ldexp(1.f, k)))
          vals.push_back(sv);
  }
  std::vector<float> x;
  for (std::size_t i = 0; i < vals.size(); i += block - 2) {
    if (t.family == Family::int_asym) {  // lo and hi pin s = 2^k, z = z0
      x.push_back(static_cast<float>(std::ldexp(-z0, k)));
      x.push_back(static_cast<float>(std::ldexp(maxq - z0, k)));
    } else {
      const double amax = t.family == Family::nvfp4 ? 6.0 : t.max_value();
      x.push_back(static_cast<float>(std::ldexp(amax, k)));
      x.push_back(0.f);
    }
    for (std::size_t j = i; j < i + block - 2; ++j) x.push_back(j < vals.size() ? vals[j] : 0.f);
  }
  return x;
}

TEST_P(FastVsRef, ExactTiesOfTheElementGrid) {
  const FormatTraits& t = traits(GetParam());
  for (int k : {-3, 0, 5})
    for (int z0 : {0, 1, 3}) {
      if (z0 > 0 && t.family != Family::int_asym) continue;
      const auto x = tie_blocks(t, k, z0);
      for (Round r : test::all_rounds()) {
        const QuantConfig cfg{.round = r, .seed = 21};
        EXPECT_TRUE(bit_equal(fast(t.id, x, cfg), ref(t.id, x, cfg), x)) << test::label(t.id, r) << " k " << k;
      }
    }
}

// NVFP4's block scale: amax / (6 g) at every UE4M3 midpoint, one ulp either side, without and with a tensor scale.
TEST(FastVsRef, Nvfp4BlockScaleTies) {
  std::vector<double> s;
  for (std::uint32_t c = 0; c < 0x7F; ++c) s.push_back(decode_elem(Elem::ue4m3, c));
  for (float g : {1.0f, 0.5f, 0.0371f}) {
    std::vector<float> x;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      const float amax = static_cast<float>((s[i] + s[i + 1]) / 2) * (6.0f * g);
      for (float a : {amax, std::nextafter(amax, 0.f), std::nextafter(amax, INFINITY)}) {
        std::vector<float> blk(16, 0.3f * a);
        blk[0] = a; blk[5] = -0.77f * a; blk[9] = 0.5f * a; blk[15] = -a;
        x.insert(x.end(), blk.begin(), blk.end());
      }
    }
    for (Round r : test::all_rounds()) {
      const QuantConfig cfg{.round = r, .seed = 2, .tensor_scale = g != 1.0f, .tensor_scale_value = g != 1.0f ? g : 0.f};
      EXPECT_TRUE(bit_equal(fast(Format::nvfp4, x, cfg), ref(Format::nvfp4, x, cfg), x)) << "g " << g;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFormats, FastVsRef,
                         ::testing::ValuesIn(test::scalar_formats()), test::format_param_name);

// All 2^20 float32 patterns with the top 20 bits free (sign, exponent, 11 mantissa bits) and the low 12 bits
// set to sticky-bit patterns; once in order (blocks of near-equal magnitudes: ties, saturation) and once in a
// seeded shuffle (blocks spanning many binades: element subnormals and underflow to zero). One test per family
// (NVFP4 with and without its tensor scale) so that ctest runs them in parallel.
std::vector<float> top20_patterns(bool shuffled) {
  std::vector<float> x(1u << 20);
  for (std::uint32_t i = 0; i < x.size(); ++i) {
    std::uint32_t b = (i << 12) | (i & 1 ? 0x800u : 0x7FFu);
    if (((b >> 23) & 0xFF) == 0xFF) b &= ~0x40000000u;  // keep it finite: NaN/Inf blocks are tested elsewhere
    x[i] = std::bit_cast<float>(b);
  }
  if (shuffled) std::shuffle(x.begin(), x.end(), std::mt19937(42));
  return x;
}

void sweep_family(Family family, QuantConfig base = {}) {
  for (bool shuffled : {false, true}) {
    const auto x = top20_patterns(shuffled);
    for (const auto& t : format_table()) {
      if (t.family != family) continue;
      for (Round r : test::all_rounds()) {
        QuantConfig cfg = base;
        cfg.round = r;
        cfg.seed = 3;
        EXPECT_TRUE(bit_equal(fast(t.id, x, cfg), ref(t.id, x, cfg), x)) << test::label(t.id, r) << " shuffled " << shuffled;
      }
    }
  }
}

TEST(FastVsRefExhaustive, MxKernelOnAllTop20BitPatterns) { sweep_family(Family::mx); }
TEST(FastVsRefExhaustive, Nvfp4KernelOnAllTop20BitPatterns) { sweep_family(Family::nvfp4); }
TEST(FastVsRefExhaustive, Nvfp4TensorScaleKernelOnAllTop20BitPatterns) {
  sweep_family(Family::nvfp4, {.tensor_scale = true});
}
TEST(FastVsRefExhaustive, IntGroupKernelOnAllTop20BitPatterns) { sweep_family(Family::int_group); }
TEST(FastVsRefExhaustive, IntAsymKernelOnAllTop20BitPatterns) { sweep_family(Family::int_asym); }
TEST(FastVsRefExhaustive, FpGroupKernelOnAllTop20BitPatterns) { sweep_family(Family::fp_group); }

// NVFP4 with given tensor scales from float32 subnormal to huge: block scales that saturate at 448, divisors
// that underflow to 0 or overflow to Inf, quotients beyond float32 (x / d = Inf saturates the element).
TEST(FastVsRef, Nvfp4ExtremeTensorScales) {
  const auto rnd = test::random_blocks(16 * 512 + 3, 16, 7, -130, 120);
  const auto adv = adversarial();
  for (float g : {1e-44f, 1e-40f, 1e-30f, 3e-7f, 1.f, 1e20f, 1e35f, 3e38f, FLT_MAX})
    for (Round r : test::all_rounds()) {
      const QuantConfig cfg{.round = r, .seed = 5, .tensor_scale = true, .tensor_scale_value = g};
      EXPECT_TRUE(bit_equal(fast(Format::nvfp4, rnd, cfg), ref(Format::nvfp4, rnd, cfg), rnd)) << g;
      EXPECT_TRUE(bit_equal(fast(Format::nvfp4, adv, cfg), ref(Format::nvfp4, adv, cfg), adv)) << g;
    }
}

}  // namespace
}  // namespace mxlab
