// Block formats: adversarial MX blocks with hand-derived expectations, and every format's reference codec
// against the exact oracle on seeded random tensors, for every rounding mode.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "formats/oracle.hpp"
#include "formats/packed.hpp"
#include "test_util.hpp"

namespace mxlab {
namespace {
using test::bit_equal;

struct MxResult { std::uint8_t scale; std::vector<float> out; };
MxResult mx(Format f, std::vector<float> x, Round r = Round::even) {
  const PackedTensor p = encode_ref(f, x, {.round = r, .block = static_cast<int>(x.size())});
  return {p.bytes[0], decode(p)};
}
std::vector<float> block_of(float v, float fill = 0.f, int n = 32) {
  std::vector<float> x(n, fill);
  x[0] = v;
  return x;
}

TEST(MxBlock, AmaxOneUlpBelowPowerOfTwoUsesTheLowerExponent) {
  // floor(log2(2 - ulp)) = 0, so X = 0 - emax(E2M1) = -2; a float log2 would round up to 1 and give X = -1.
  const float just_below_2 = std::nextafter(2.0f, 0.f);
  const auto r = mx(Format::mxfp4_e2m1, block_of(just_below_2));
  EXPECT_EQ(r.scale, 127 - 2);
  EXPECT_EQ(r.out[0], 1.5f);  // 7.99.. saturates to 6, times 2^-2
  const auto i8 = mx(Format::mxint8, block_of(std::nextafter(1.0f, 0.f)));
  EXPECT_EQ(i8.scale, 127 - 1);  // floor(log2(1 - ulp)) = -1, emax 0
  EXPECT_EQ(i8.out[0], 127.f / 128.f);  // k = round((1-ulp) * 2 * 64) = 128 saturates to 127 -> 127/64 * 2^-1
}

TEST(MxBlock, FltMaxAndTinyScales) {
  const auto big = mx(Format::mxfp4_e2m1, block_of(FLT_MAX));
  EXPECT_EQ(big.scale, 127 + 125);
  EXPECT_EQ(big.out[0], 6.f * std::ldexp(1.f, 125));
  const auto big8 = mx(Format::mxint8, block_of(-FLT_MAX));
  EXPECT_EQ(big8.scale, 127 + 127);
  EXPECT_EQ(big8.out[0], -127.f / 64.f * std::ldexp(1.f, 127));
  // 2^-127: X = -127 - emax clamps to -127 and the element is exactly 1.0 -> the output is 2^-127 (a subnormal).
  const auto tiny = mx(Format::mxfp4_e2m1, block_of(std::ldexp(1.f, -127)));
  EXPECT_EQ(tiny.scale, 0);
  EXPECT_EQ(tiny.out[0], std::ldexp(1.f, -127));
  // float32 subnormals: X clamps to -127, 2^-149 * 2^127 = 2^-22 underflows every element grid to (signed) zero.
  const float sub = std::numeric_limits<float>::denorm_min();
  const auto s = mx(Format::mxfp8_e4m3, {sub, -sub, 3 * sub});
  EXPECT_EQ(s.scale, 0);
  EXPECT_EQ(test::bits(s.out[0]), 0u);
  EXPECT_EQ(test::bits(s.out[1]), 0x80000000u);
  // Largest float32 subnormal with E5M2 (min subnormal 2^-16): X = -127, 2^-126 * 2^127 = 2 -> exact.
  const auto sub5 = mx(Format::mxfp8_e5m2, {std::ldexp(1.f, -126) - sub, std::ldexp(1.f, -130)});
  EXPECT_EQ(sub5.out[1], std::ldexp(1.f, -130));
}

TEST(MxBlock, FlushingSubnormalBlocks) {
  // microxcaling's flush_fp32_subnorms zeroes a block whose largest value is a float32 subnormal, and only
  // such a block: 2^-127 beside a normal value is kept when it is representable.
  const float sub = std::ldexp(1.f, -127);  // exactly 1.0 in MXFP4 with X = -127
  const std::vector<float> x{sub, -sub, 0.f, 0.f, std::ldexp(1.f, -126), sub, 0.f, 0.f};
  EXPECT_EQ(mx(Format::mxfp4_e2m1, {x.begin(), x.begin() + 4}).out[0], sub);
  const QuantConfig cfg{.block = 4, .flush_subnormal_inputs = true};
  const auto y = decode(encode_ref(Format::mxfp4_e2m1, x, cfg));
  EXPECT_EQ(test::bits(y[0]), 0u);
  EXPECT_EQ(test::bits(y[1]), 0x80000000u);
  EXPECT_EQ(y[4], std::ldexp(1.f, -126));
  EXPECT_EQ(y[5], sub);  // X = -126 - 2 clamps to -127: 2^-127 is exactly 1.0
  std::vector<float> fast(x.size());
  fake_quantize(Format::mxfp4_e2m1, x, fast, cfg);
  EXPECT_TRUE(test::bit_equal(fast, y));
  EXPECT_TRUE(test::bit_equal(y, oracle::fake_quantize(Format::mxfp4_e2m1, x, cfg)));
}

TEST(MxBlock, ZeroAndNegativeZeroBlocks) {
  for (const auto& t : format_table()) {
    if (t.family != Family::mx) continue;
    const auto z = mx(t.id, std::vector<float>(32, 0.f));
    EXPECT_EQ(z.scale, 0) << t.name;  // X = -127 for an all-zero block
    const auto nz = mx(t.id, std::vector<float>(32, -0.f));
    for (float v : nz.out) {
      EXPECT_EQ(v, 0.f) << t.name;
      EXPECT_EQ(std::signbit(v), !t.element().is_int) << t.name;  // FP keeps -0; two's complement has none
    }
  }
}

TEST(MxBlock, NanOrInfAnywhereMakesTheWholeBlockNan) {
  for (const auto& t : format_table()) {
    if (t.family != Family::mx) continue;
    for (float special : {NAN, INFINITY, -INFINITY}) {
      auto x = block_of(1.f, 0.25f);
      x[17] = special;
      const auto r = mx(t.id, x);
      EXPECT_EQ(r.scale, 0xFF) << t.name;
      for (float v : r.out) EXPECT_TRUE(std::isnan(v)) << t.name;
    }
  }
}

TEST(MxBlock, SaturationToMaxNormal) {
  // amax 480 in E4M3: X = 8 - 8 = 0, 480 > 448 saturates (no rounding into the NaN encoding).
  auto r = mx(Format::mxfp8_e4m3, block_of(479.f));
  EXPECT_EQ(r.scale, 127);
  EXPECT_EQ(r.out[0], 448.f);
  r = mx(Format::mxfp6_e3m2, block_of(-31.9f));
  EXPECT_EQ(r.out[0], -28.f);
  r = mx(Format::mxint4, block_of(1.99f));  // k = 8 saturates to 7 -> 1.75
  EXPECT_EQ(r.out[0], 1.75f);
}

TEST(MxBlock, TiesFollowTheRoundingMode) {
  // E2M1 with X = 0 (amax 4 -> floor(log2) 2 - emax 2): 2.5 lies between 2 and 3, 5 between 4 and 6.
  auto x = block_of(4.f);
  x[1] = 2.5f; x[2] = 5.f; x[3] = -2.5f; x[4] = 0.25f; x[5] = 0.75f;
  const auto even = mx(Format::mxfp4_e2m1, x, Round::even);
  const auto away = mx(Format::mxfp4_e2m1, x, Round::nearest);
  const auto down = mx(Format::mxfp4_e2m1, x, Round::floor);
  EXPECT_EQ(even.out[1], 2.f);  EXPECT_EQ(away.out[1], 3.f);  EXPECT_EQ(down.out[1], 2.f);
  EXPECT_EQ(even.out[2], 4.f);  EXPECT_EQ(away.out[2], 6.f);  EXPECT_EQ(down.out[2], 4.f);
  EXPECT_EQ(even.out[3], -2.f); EXPECT_EQ(away.out[3], -3.f); EXPECT_EQ(down.out[3], -2.f);
  EXPECT_EQ(even.out[4], 0.f);  EXPECT_EQ(away.out[4], 0.5f); EXPECT_EQ(down.out[4], 0.f);
  EXPECT_EQ(even.out[5], 1.f);  EXPECT_EQ(away.out[5], 1.f);  EXPECT_EQ(down.out[5], 0.5f);
  // MXINT8, X = 0: 1/128 is half a step of 1/64.
  auto y = block_of(1.f);
  y[1] = 1.f / 128; y[2] = 3.f / 128;
  EXPECT_EQ(mx(Format::mxint8, y, Round::even).out[1], 0.f);
  EXPECT_EQ(mx(Format::mxint8, y, Round::nearest).out[1], 1.f / 64);
  EXPECT_EQ(mx(Format::mxint8, y, Round::even).out[2], 2.f / 64);
}

TEST(MxBlock, PartialTrailingBlockIsPaddedWithZeros) {
  const std::vector<float> x{1.f, 2.f, 3.f, 0.3f, 100.f};  // blocks {1,2,3} and {0.3,100} with block 3
  const PackedTensor p = encode_ref(Format::mxfp4_e2m1, x, {.block = 3});
  EXPECT_EQ(p.block_count(), 2u);
  EXPECT_EQ(p.bytes.size(), 2u * traits(Format::mxfp4_e2m1).block_bytes(3));
  const auto y = decode(p);
  EXPECT_EQ(y[4], 96.f);  // X = 6 - 2 = 4: 100/16 = 6.25 -> 6
  EXPECT_EQ(y[3], 0.f);   // 0.3/16 -> 0
}

// Every format's reference codec equals the oracle, bit for bit, on seeded random tensors.
class ReferenceVsOracle : public ::testing::TestWithParam<Format> {};
TEST_P(ReferenceVsOracle, RandomTensorsAllRoundingModes) {
  const Format f = GetParam();
  auto x = test::random_blocks(32 * 48, 32, 7 + static_cast<int>(f));
  x[5] = 0.f; x[6] = -0.f; x[40] = NAN;  // a NaN block
  for (int i = 64 * 3; i < 64 * 4; i += 3) x[i] = std::ldexp(x[i], -140);  // some float32 subnormals
  const float extremes[] = {FLT_MAX, -FLT_MAX, 1.f, 0.f, 3e38f, -2e38f, 1e-40f, -1e-45f};  // range overflows float32
  std::copy(std::begin(extremes), std::end(extremes), x.begin() + 64 * 5);
  for (Round r : test::all_rounds())
    for (int block : {0, 7, 64}) {
      for (bool ts : {false, true}) {
        if (ts && f != Format::nvfp4) continue;
        const QuantConfig cfg{.round = r, .block = block, .seed = 11, .tensor_scale = ts,
                              .flush_subnormal_inputs = block == 7};
        const auto want = oracle::fake_quantize(f, x, cfg);
        EXPECT_TRUE(bit_equal(decode(encode_ref(f, x, cfg)), want, x)) << test::label(f, r) << " block " << block;
      }
    }
}
INSTANTIATE_TEST_SUITE_P(AllFormats, ReferenceVsOracle,
                         ::testing::ValuesIn(test::scalar_formats()), test::format_param_name);

TEST(GroupFormats, Nvfp4ScaleAndTensorScale) {
  // amax 6 -> block scale 1.0 exactly; 3.5 -> tie between 3 and 4 -> 4 (even mantissa).
  std::vector<float> x(16, 0.f);
  x[0] = 6.f; x[1] = 3.5f; x[2] = -0.75f;
  PackedTensor p = encode_ref(Format::nvfp4, x);
  EXPECT_EQ(p.bytes[0], 0x38);  // UE4M3 1.0 = 0.0111.000
  auto y = decode(p);
  EXPECT_EQ(y[1], 4.f);
  EXPECT_EQ(y[2], -1.f);  // -0.75 ties between 0.5 and 1.0 -> 1.0 (even mantissa)
  p = encode_ref(Format::nvfp4, x, {.tensor_scale = true});
  EXPECT_TRUE(p.has_tensor_scale);
  EXPECT_EQ(p.tensor_scale, 6.f / 2688.f);
  EXPECT_EQ(p.bytes[0], 0x7E);  // 6 / (6 g) = 1/g ~ 448: the largest UE4M3
  EXPECT_NEAR(decode(p)[0], 6.f, 6e-6f);
}

TEST(GroupFormats, LlmFp4BiasIsTheScale) {
  for (Elem e : {Elem::e2m1, Elem::e1m2, Elem::e3m0, Elem::e3m2, Elem::e2m3}) {
    const ElemSpec& s = elem_spec(e);
    EXPECT_EQ(llmfp4_maxval(s.ebits, s.mbits, s.bias), s.max_normal) << s.name;  // LLM-FP4 eq. 2
    for (float scale : {0.125f, 0.7f, 3.f})
      EXPECT_NEAR(llmfp4_maxval(s.ebits, s.mbits, llmfp4_bias(e, scale)), scale * s.max_normal, 1e-12 * s.max_normal)
          << s.name;
  }
}

TEST(GroupFormats, AsymmetricZeroPointRepresentsZeroExactly) {
  std::vector<float> x{-1.f, 0.f, 0.5f, 3.f, 2.f};
  const auto y = decode(encode_ref(Format::int4_asym, x, {.block = 5}));
  EXPECT_EQ(y[1], 0.f);
  EXPECT_NEAR(y[3], 3.f, 4.f / 15 / 2 + 1e-6);
  EXPECT_NEAR(y[0], -1.f, 4.f / 15 / 2 + 1e-6);
}

}  // namespace
}  // namespace mxlab
