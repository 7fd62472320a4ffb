// Fast paths against the reference codecs, bit for bit: every format and rounding mode on random and
// adversarial tensors and odd block sizes, plus an exhaustive 2^20-input sweep of the MX kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
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

INSTANTIATE_TEST_SUITE_P(AllFormats, FastVsRef,
                         ::testing::ValuesIn(test::all_formats()), test::format_param_name);

// All 2^20 float32 patterns with the top 20 bits free (sign, exponent, 11 mantissa bits) and the low 12 bits
// set to sticky-bit patterns; once in order (blocks of near-equal magnitudes: ties, saturation) and once in a
// seeded shuffle (blocks spanning many binades: element subnormals and underflow to zero).
TEST(FastVsRefExhaustive, MxKernelOnAllTop20BitPatterns) {
  std::vector<float> x(1u << 20);
  for (std::uint32_t i = 0; i < x.size(); ++i) {
    std::uint32_t b = (i << 12) | (i & 1 ? 0x800u : 0x7FFu);
    if (((b >> 23) & 0xFF) == 0xFF) b &= ~0x40000000u;  // keep it finite: NaN/Inf blocks are tested elsewhere
    x[i] = std::bit_cast<float>(b);
  }
  auto shuffled = x;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  for (const auto* input : {&x, &shuffled})
    for (const auto& t : format_table()) {
      if (t.family != Family::mx) continue;
      for (Round r : test::all_rounds()) {
        const QuantConfig cfg{.round = r, .seed = 3};
        EXPECT_TRUE(bit_equal(fast(t.id, *input, cfg), ref(t.id, *input, cfg), *input)) << test::label(t.id, r);
      }
    }
}

}  // namespace
}  // namespace mxlab
