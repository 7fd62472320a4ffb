// Packed storage: code packing, serialization round trips and errors, stochastic rounding's statistics.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "formats/packed.hpp"
#include "test_util.hpp"

namespace mxlab {
namespace {

TEST(Packed, CodesRoundTripForEveryWidth) {
  for (int bits = 1; bits <= 16; ++bits) {
    std::vector<std::uint8_t> buf((bits * 37 + 7) / 8, 0);
    for (std::size_t i = 0; i < 37; ++i) put_code(buf.data(), bits, i, static_cast<std::uint32_t>(i * 2654435761u) & ((1u << bits) - 1));
    for (std::size_t i = 0; i < 37; ++i)
      EXPECT_EQ(get_code(buf.data(), bits, i), static_cast<std::uint32_t>(i * 2654435761u) & ((1u << bits) - 1));
  }
  std::uint8_t b[2] = {0, 0};
  put_code(b, 4, 0, 0xA);
  put_code(b, 4, 1, 0x5);
  EXPECT_EQ(b[0], 0x5A);  // LSB-first: element 0 in the low nibble
}

TEST(Packed, SerializeRoundTripEveryFormat) {
  const auto x = test::random_blocks(1000, 32, 3);
  for (const auto& t : format_table()) {
    const QuantConfig cfg{.tensor_scale = t.family == Family::nvfp4};
    const PackedTensor p = encode_ref(t.id, x, cfg);
    const auto bytes = serialize(p);
    EXPECT_EQ(bytes.size(), 32 + p.block_count() * t.block_bytes(p.block)) << t.name;
    const PackedTensor q = deserialize(bytes);
    EXPECT_EQ(q.format, t.id);
    EXPECT_EQ(q.tensor_scale, p.tensor_scale);
    std::vector<float> want(x.size());
    fake_quantize(t.id, x, want, cfg);
    EXPECT_TRUE(test::bit_equal(decode(q), want)) << t.name;
  }
}

TEST(Packed, CorruptBuffersAreRejected) {
  const auto x = test::random_blocks(64, 32, 4);
  auto bytes = serialize(encode_ref(Format::mxint4, x));
  EXPECT_THROW(deserialize(std::span(bytes).first(10)), std::invalid_argument);
  EXPECT_THROW(deserialize(std::span(bytes).first(bytes.size() - 1)), std::invalid_argument);
  auto bad = bytes;
  bad[0] = 'X';
  EXPECT_THROW(deserialize(bad), std::invalid_argument);
  bad = bytes;
  bad[6] = 200;  // unknown format id
  EXPECT_THROW(deserialize(bad), std::invalid_argument);
  bad = bytes;
  bad[8] = 0; bad[9] = 0;  // block 0
  EXPECT_THROW(deserialize(bad), std::invalid_argument);
}

TEST(StochasticRounding, DeterministicPerSeedAndUnbiased) {
  // 0.3 in MXINT4 with X = 0 (block amax 1.5): k = 0.3 * 4 = 1.2 -> 1 or 2, mean must be 1.2 / 4 = 0.3.
  const std::size_t n = 32 * 20000;
  std::vector<float> x(n, 0.3f);
  for (std::size_t i = 0; i < n; i += 32) x[i] = 1.5f;
  std::vector<float> a(n), b(n), c(n);
  fake_quantize(Format::mxint4, x, a, {.round = Round::stochastic, .seed = 1});
  fake_quantize(Format::mxint4, x, b, {.round = Round::stochastic, .seed = 1});
  fake_quantize(Format::mxint4, x, c, {.round = Round::stochastic, .seed = 2});
  EXPECT_TRUE(test::bit_equal(a, b));
  EXPECT_FALSE(test::bit_equal(a, c));
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (i % 32) { sum += a[i]; ++count; EXPECT_TRUE(a[i] == 0.25f || a[i] == 0.5f); }
  // 0.2 probability of rounding up; standard error of the mean is 0.25 * sqrt(0.16 / count) ~ 1.25e-4.
  EXPECT_NEAR(sum / count, 0.3, 6e-4);
}

}  // namespace
}  // namespace mxlab

namespace mxlab {
namespace {
// A BlockQuantizer built from a block's values quantizes each of them exactly as the whole-block encoder does.
TEST(BlockQuantizer, EqualsTheBlockEncoderForEveryFormatAndMode) {
  const auto x = test::random_blocks(32 * 8, 32, 21);
  for (const auto& t : format_table())
    for (Round r : test::all_rounds()) {
      if (t.family == Family::vq) continue;  // no per-value quantizer (tests/formats/vq_format_test.cpp)
      const QuantConfig cfg{.round = r, .seed = 9};
      const auto want = decode(encode_ref(t.id, x, cfg));
      const std::size_t block = static_cast<std::size_t>(resolve_block(t, cfg));
      for (std::size_t b = 0; b < x.size(); b += block) {
        const BlockQuantizer q(t.id, std::span(x).subspan(b, block), cfg);
        for (std::size_t i = b; i < b + block; ++i)
          ASSERT_EQ(test::bits(q.quantize(x[i], i)), test::bits(want[i])) << test::label(t.id, r) << " at " << i;
      }
    }
}

TEST(BlockQuantizer, KeepsTheScaleForOtherValues) {
  const std::vector<float> first{4.f, 1.f};  // MXFP4: X = 0
  const BlockQuantizer q(Format::mxfp4_e2m1, first);
  EXPECT_EQ(q.scale_bytes()[0], 127);
  EXPECT_EQ(q.quantize(100.f), 6.f);  // saturates against the fixed scale
  EXPECT_EQ(q.quantize(0.7f), 0.5f);
}
}  // namespace
}  // namespace mxlab

namespace mxlab {
namespace {
TEST(Packed, ImplausibleHeaderFieldsAreRejected) {
  const auto x = test::random_blocks(64, 16, 4);
  auto bytes = serialize(encode_ref(Format::nvfp4, x, {.tensor_scale = true}));
  auto bad = bytes;
  std::memset(&bad[12], 0xFF, 8);  // count 2^64 - 1
  EXPECT_THROW(deserialize(bad), std::invalid_argument);
  bad = bytes;
  const float nan = NAN;
  std::memcpy(&bad[20], &nan, 4);
  EXPECT_THROW(deserialize(bad), std::invalid_argument);
  bad = serialize(encode_ref(Format::mxint8, x));
  bad[7] = 1;  // a tensor scale on a format without one
  EXPECT_THROW(deserialize(bad), std::invalid_argument);
}
}  // namespace
}  // namespace mxlab
