// VQ codebook format tests: exhaustive FP16, nearest-codeword oracle, INT8 bound, packing, serialization, errors.
#include "formats/vq_codebook.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cfenv>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace mxlab {
namespace {

template <class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning '" << needle << "'";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::uint32_t bits_of(float x) { return std::bit_cast<std::uint32_t>(x); }

// Reference: IEEE 754 binary16 rounding done in double on the half grid (ulp 2^(max(floor(log2|x|), -14) - 10)),
// with std::nearbyint (round half to even under the default mode); beyond 65504 -> Inf.
float ref_round_to_half(float x) {
  const double a = std::fabs(static_cast<double>(x));
  if (a == 0) return x;
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1): floor(log2 a) = e - 1
  const int q = std::max(e - 1, -14) - 10;
  const double v = std::ldexp(std::nearbyint(std::ldexp(a, -q)), q);
  return static_cast<float>(std::copysign(v > 65504.0 ? INFINITY : v, static_cast<double>(x)));
}

TEST(Fp16, ExhaustiveAgainstIeeeFormula) {
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const int s = h >> 15, e = (h >> 10) & 31, t = h & 1023;
    const float f = half_to_float(static_cast<std::uint16_t>(h));
    EXPECT_EQ(std::signbit(f), s == 1) << std::hex << h;
    if (e == 31 && t != 0) {  // NaN: stays NaN, sign and payload kept, quiet bit set
      EXPECT_TRUE(std::isnan(f)) << std::hex << h;
      EXPECT_EQ(float_to_half(f), h | 0x200u) << std::hex << h;
      continue;
    }
    const double mag = e == 31 ? INFINITY : e == 0 ? std::ldexp(t, -24) : std::ldexp(1024 + t, e - 25);
    EXPECT_EQ(bits_of(f), bits_of(static_cast<float>(s ? -mag : mag))) << std::hex << h;
    EXPECT_EQ(float_to_half(f), h) << std::hex << h;
  }
}

TEST(Fp16, EveryMidpointTiesToEvenAndNeighboursRoundToNearest) {
  for (std::uint32_t h = 0; h < 0x7c00u; ++h) {  // adjacent pair (h, h+1); 0x7bff's upper neighbour is 2^16
    const double lo = half_to_float(static_cast<std::uint16_t>(h));
    const double hi = h == 0x7bffu ? 65536.0 : half_to_float(static_cast<std::uint16_t>(h + 1));
    const float mid = static_cast<float>((lo + hi) / 2);
    ASSERT_EQ(static_cast<double>(mid), (lo + hi) / 2);  // exact in binary32
    for (float sign : {1.0f, -1.0f}) {
      const std::uint32_t sb = sign < 0 ? 0x8000u : 0u;
      EXPECT_EQ(float_to_half(sign * mid), ((h & 1u) ? h + 1 : h) | sb) << std::hex << h;
      EXPECT_EQ(float_to_half(sign * std::nextafter(mid, 0.0f)), h | sb) << std::hex << h;
      EXPECT_EQ(float_to_half(sign * std::nextafter(mid, INFINITY)), (h + 1) | sb) << std::hex << h;
    }
  }
}

TEST(Fp16, RandomFloatsMatchDoubleReference) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<std::uint32_t> any;
  std::uniform_int_distribution<std::uint32_t> exp_near(127 - 27, 127 + 17);  // around the binary16 range
  for (int i = 0; i < 1'000'000; ++i) {
    std::uint32_t u = any(rng);
    if (i % 4 != 0) u = (u & 0x807fffffu) | (exp_near(rng) << 23);
    const float x = std::bit_cast<float>(u);
    if (std::isnan(x)) continue;
    EXPECT_EQ(bits_of(half_to_float(float_to_half(x))), bits_of(ref_round_to_half(x))) << std::hex << u;
  }
  EXPECT_EQ(float_to_half(INFINITY), 0x7c00u);
  EXPECT_EQ(float_to_half(-INFINITY), 0xfc00u);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(NAN))));
}

std::vector<float> random_values(std::mt19937& rng, std::size_t n, float sigma = 1.0f) {
  std::normal_distribution<float> g(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

// Brute force: every codeword, the full distance with the documented rounding sequence, strict < keeps the first.
std::vector<std::uint32_t> oracle_encode(const VqCodebook& cb, std::span<const float> x, std::span<const float> w) {
  const auto d = static_cast<std::size_t>(cb.dim());
  const auto c = cb.codewords();
  std::vector<std::uint32_t> out;
  for (std::size_t v = 0; v * d < x.size(); ++v) {
    double best = 0;
    std::uint32_t best_k = 0;
    for (std::size_t k = 0; k < cb.size(); ++k) {
      double dist = 0;
      for (std::size_t j = 0; j < d; ++j) {
        const double diff = static_cast<double>(x[v * d + j]) - c[k * d + j];
        dist = std::fma(w.empty() ? 1.0 : w[v * d + j], diff * diff, dist);
      }
      if (k == 0 || dist < best) { best = dist; best_k = static_cast<std::uint32_t>(k); }
    }
    out.push_back(best_k);
  }
  return out;
}

struct Shape { int dim, bits; };

TEST(VqCodebook, EncodeEqualsBruteForceOracle) {
  std::mt19937 rng(7);
  for (Shape sh : {Shape{1, 4}, {1, 8}, {2, 3}, {2, 5}, {4, 2}, {8, 1}, {8, 2}}) {
    for (VqStorage st : {VqStorage::fp16, VqStorage::int8}) {
      const std::size_t k = std::size_t{1} << (sh.dim * sh.bits), d = sh.dim;
      auto cw = random_values(rng, k * d);
      for (std::size_t j = 0; j < d; ++j) cw[(k - 1) * d + j] = cw[j];  // duplicate codeword: tie -> index 0
      const VqCodebook cb(sh.dim, sh.bits, st, cw);
      const std::size_t nv = k > 4096 ? 64 : 512;
      auto x = random_values(rng, nv * d, 1.3f);
      for (std::size_t j = 0; j < d; ++j) x[j] = cb.codewords()[j];  // an exact hit on the duplicate
      std::uniform_real_distribution<float> uw(0.0f, 2.0f);
      std::vector<float> w(x.size());
      for (float& v : w) v = rng() % 5 == 0 ? 0.0f : uw(rng);
      const auto plain = cb.encode(x);
      EXPECT_EQ(plain, oracle_encode(cb, x, {})) << sh.dim << "x" << sh.bits;
      EXPECT_EQ(cb.encode(x, w), oracle_encode(cb, x, w)) << sh.dim << "x" << sh.bits << " weighted";
      EXPECT_EQ(plain[0], 0u);
      EXPECT_EQ(cb.decode(plain).size(), x.size());
    }
  }
}

TEST(VqCodebook, WeightedDistanceChangesTheChoice) {
  const std::vector<float> cw = {0, 0, 1, 1, 8, 8, -8, 8};  // D = 2, bits = 1: K = 4
  const VqCodebook cb(2, 1, VqStorage::fp16, cw);
  const std::vector<float> x = {0.4f, 0.7f, 100.0f, 0.9f};
  // Unweighted: (0.4,0.7) is nearer (1,1) (0.45 < 0.65); weighting dim 0 by 10 makes (0,0) nearer (2.09 < 3.69).
  // Weight 0 on dim 0 makes the second vector's huge x_0 irrelevant: (1,1) wins on dim 1 alone.
  EXPECT_EQ(cb.encode(x), (std::vector<std::uint32_t>{1, 2}));
  const std::vector<float> w = {10, 1, 0, 1};
  EXPECT_EQ(cb.encode(x, w), (std::vector<std::uint32_t>{0, 1}));
}

TEST(VqCodebook, DecodeOfEncodeOfEveryCodewordIsThatCodeword) {
  std::mt19937 rng(11);
  for (Shape sh : {Shape{1, 12}, {2, 6}, {4, 3}, {8, 1}}) {
    for (VqStorage st : {VqStorage::fp16, VqStorage::int8}) {
      const std::size_t k = std::size_t{1} << (sh.dim * sh.bits), d = sh.dim;
      const VqCodebook cb(sh.dim, sh.bits, st, random_values(rng, k * d));
      const auto c = cb.codewords();
      const std::vector<float> all(c.begin(), c.end());
      const auto idx = cb.encode(all);
      ASSERT_EQ(idx.size(), k);
      for (std::size_t i = 0; i < k; ++i) {  // equal codewords after rounding: the first of them is chosen
        std::size_t first = 0;
        while (!std::equal(c.begin() + first * d, c.begin() + (first + 1) * d, c.begin() + i * d)) ++first;
        EXPECT_EQ(idx[i], first) << sh.dim << "x" << sh.bits << " k=" << i;
      }
      const auto back = cb.decode(idx);
      for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(bits_of(back[i]), bits_of(all[i]));
    }
  }
  const VqCodebook big(8, 2, VqStorage::fp16, random_values(rng, 65536 * 8));  // the largest K: a sample
  for (std::uint32_t k = 0; k < 65536; k += 4099) {
    const auto c = big.codewords().subspan(k * 8, 8);
    const auto idx = big.encode(c);
    EXPECT_TRUE(std::equal(c.begin(), c.end(), big.decode(idx).begin())) << k;
  }
}

TEST(VqCodebook, PackUnpackRoundTripEveryWidth) {
  std::mt19937 rng(3);
  for (int b = 1; b <= 16; ++b) {
    for (std::size_t n : {0, 1, 7, 8, 9, 100, 1001}) {
      std::vector<std::uint32_t> idx(n);
      for (std::size_t i = 0; i < n; ++i) idx[i] = i % 3 == 0 ? (1u << b) - 1 : rng() & ((1u << b) - 1);
      const auto bytes = pack_indices(idx, b);
      ASSERT_EQ(bytes.size(), (n * b + 7) / 8);
      for (std::size_t bit = 0; bit < bytes.size() * 8; ++bit) {  // index i at bits [i*b, (i+1)*b), LSB first
        const unsigned want = bit < n * b ? (idx[bit / b] >> (bit % b)) & 1u : 0u;
        ASSERT_EQ((bytes[bit / 8] >> (bit % 8)) & 1u, want) << "b=" << b << " bit=" << bit;
      }
      EXPECT_EQ(unpack_indices(bytes, b, n), idx) << "b=" << b << " n=" << n;
    }
  }
  const std::vector<std::uint32_t> four = {16};
  expect_error([&] { pack_indices(four, 4); }, "does not fit in 4 bits");
  expect_error([&] { pack_indices(four, 0); }, "index_bits must be in [1, 16]");
  expect_error([&] { pack_indices(four, 17); }, "index_bits must be in [1, 16]");
  const std::vector<std::uint8_t> two(2);
  expect_error([&] { unpack_indices(two, 5, 4); }, "need 3 bytes (got 2)");
}

TEST(VqCodebook, Int8EntriesRoundHalfEvenWithinHalfAScale) {
  std::mt19937 rng(5);
  for (float sigma : {1.0f, 1e-30f, 1e30f, 3e-3f}) {
    const auto cw = random_values(rng, 256 * 2, sigma);
    const VqCodebook cb(2, 4, VqStorage::int8, cw);
    float amax = 0;
    for (float c : cw) amax = std::max(amax, std::fabs(c));
    const float s = cb.scale();
    ASSERT_EQ(s, amax / 127.0f);
    for (std::size_t i = 0; i < cw.size(); ++i) {
      const int q = cb.int8_entries()[i];
      EXPECT_EQ(q, static_cast<int>(std::clamp(std::nearbyint(cw[i] / static_cast<double>(s)), -127.0, 127.0)));
      const double exact = static_cast<double>(q) * s;  // exact in double
      EXPECT_LE(std::fabs(cw[i] - exact), s / 2.0) << sigma << " " << i;
      const float dec = cb.codewords()[i];
      EXPECT_EQ(dec, static_cast<float>(q) * s);  // decoded = FP32 product, rounded once
      EXPECT_LE(std::fabs(cw[i] - static_cast<double>(dec)), s / 2.0 + std::fabs(exact) * 0x1p-24) << i;
    }
  }
  const std::vector<float> ties = {127, 2.5f, 3.5f, -2.5f, 0.5f, 1.5f, -126.5f, 0};  // s = 1: exact halves
  const VqCodebook t(1, 3, VqStorage::int8, ties);
  EXPECT_EQ(t.scale(), 1.0f);
  EXPECT_EQ(std::vector<std::int8_t>(t.int8_entries().begin(), t.int8_entries().end()),
            (std::vector<std::int8_t>{127, 2, 4, -2, 0, 2, -126, 0}));
  const VqCodebook zero(2, 1, VqStorage::int8, std::vector<float>(8, 0.0f));
  EXPECT_EQ(zero.scale(), 0.0f);
  for (float c : zero.codewords()) EXPECT_EQ(c, 0.0f);
}

TEST(VqCodebook, SerializationRoundTripsExactly) {
  std::mt19937 rng(9);
  for (Shape sh : {Shape{1, 1}, {1, 16}, {2, 4}, {4, 2}, {8, 2}}) {
    for (VqStorage st : {VqStorage::fp16, VqStorage::int8}) {
      const std::size_t k = std::size_t{1} << (sh.dim * sh.bits), d = sh.dim;
      const VqCodebook cb(sh.dim, sh.bits, st, random_values(rng, k * d));
      const auto bytes = cb.serialize();
      ASSERT_EQ(bytes.size(), 16 + (st == VqStorage::fp16 ? 2 * k * d : 4 + k * d));
      const auto u8 = [](std::size_t v) { return static_cast<std::uint8_t>(v); };
      const std::vector<std::uint8_t> head = {'M', 'X', 'V', 'Q', 1, 0, u8(sh.dim), u8(sh.bits), u8(int(st)), 0, 0, 0,
                                              u8(k), u8(k >> 8), u8(k >> 16), 0};  // little-endian u16/u32
      EXPECT_EQ(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 16), head);
      const auto back = VqCodebook::deserialize(bytes);
      EXPECT_TRUE(back.dim() == sh.dim && back.bits() == sh.bits && back.storage() == st);
      EXPECT_EQ(bits_of(back.scale()), bits_of(cb.scale()));
      ASSERT_EQ(back.codewords().size(), cb.codewords().size());
      for (std::size_t i = 0; i < k * d; ++i) ASSERT_EQ(bits_of(back.codewords()[i]), bits_of(cb.codewords()[i]));
      EXPECT_EQ(back.serialize(), bytes);
    }
  }
}

TEST(VqCodebook, CorruptBuffersAreRejected) {
  const VqCodebook h(1, 1, VqStorage::fp16, std::vector<float>{0.5f, -2});
  const VqCodebook q(1, 1, VqStorage::int8, std::vector<float>{0.5f, -2});
  for (const auto& good : {h.serialize(), q.serialize()}) {
    for (std::size_t n = 0; n < good.size(); ++n)
      expect_error([&] { VqCodebook::deserialize(std::span(good).first(n)); }, n < 16 ? "truncated" : "(truncated)");
    auto longer = good;
    longer.push_back(0);
    expect_error([&] { VqCodebook::deserialize(longer); }, "trailing bytes");
    auto edit = [&](std::size_t at, std::uint8_t v, const std::string& needle) {
      auto bad = good;
      bad[at] = v;
      expect_error([&] { VqCodebook::deserialize(bad); }, needle);
    };
    edit(0, 'Q', "missing 'MXVQ' magic");
    edit(4, 2, "unsupported VQ codebook version 2");
    edit(6, 3, "dim must be 1, 2, 4 or 8 (got 3)");
    edit(7, 0, "bits per dimension must be >= 1");
    edit(7, 17, "at most 2^16");
    edit(8, 2, "unknown VQ storage code 2");
    edit(10, 1, "reserved bytes");
    edit(12, 4, "K = 4 but 2^(bits*dim) = 2");
  }
  auto inf = h.serialize();
  inf[16] = 0x00, inf[17] = 0x7c;
  expect_error([&] { VqCodebook::deserialize(inf); }, "entry 0 is FP16 Inf/NaN");
  auto m128 = q.serialize();
  m128[21] = 0x80;
  expect_error([&] { VqCodebook::deserialize(m128); }, "entry 1 is -128");
  auto nan_scale = q.serialize();
  nan_scale[19] = 0xff, nan_scale[18] = 0xc0;  // 0xffc0xxxx: NaN
  expect_error([&] { VqCodebook::deserialize(nan_scale); }, "scale must be finite and non-negative");
  nan_scale[19] = 0xbf;  // negative finite
  expect_error([&] { VqCodebook::deserialize(nan_scale); }, "scale must be finite and non-negative");
}

TEST(VqCodebook, BadShapesSizesAndInputsAreRejected) {
  const std::vector<float> two = {0, 1};
  for (int d : {0, 3, 5, 16, -1})
    expect_error([&] { VqCodebook(d, 1, VqStorage::fp16, two); }, "dim must be 1, 2, 4 or 8");
  for (int b : {0, -2}) expect_error([&] { VqCodebook(1, b, VqStorage::fp16, two); }, "must be >= 1");
  expect_error([&] { VqCodebook(8, 3, VqStorage::int8, two); }, "K = 2^24 entries; at most 2^16");
  expect_error([&] { VqCodebook(1, 17, VqStorage::fp16, two); }, "K = 2^17 entries; at most 2^16");
  expect_error([&] { VqCodebook(2, 1, VqStorage::fp16, two); }, "4 x 2 = 8 codeword values (got 2)");
  expect_error([&] { VqCodebook(1, 1, VqStorage::int8, std::vector<float>{0, NAN}); }, "value 1 is not finite");
  expect_error([&] { VqCodebook(1, 1, VqStorage::fp16, std::vector<float>{70000, 0}); }, "codeword out of FP16 range");
  expect_error([&] { VqCodebook(1, 1, VqStorage::fp16, std::vector<float>{0, -65520}); }, "codeword out of FP16 range");
  EXPECT_EQ(VqCodebook(1, 1, VqStorage::fp16, std::vector<float>{65519, 0}).codewords()[0], 65504.0f);
  const VqCodebook cb(2, 1, VqStorage::fp16, std::vector<float>{0, 0, 1, 1, 2, 2, 3, 3});
  expect_error([&] { cb.encode(std::vector<float>{1, 2, 3}); }, "input size 3 is not a multiple of dim 2");
  expect_error([&] { cb.encode(two, std::vector<float>{1}); }, "weights must be empty or have one value per input");
  expect_error([&] { cb.encode(two, std::vector<float>{1, -1}); }, "weight 1 must be finite and non-negative");
  expect_error([&] { cb.encode(std::vector<float>{INFINITY, 0}); }, "input 0 is not finite");
  expect_error([&] { cb.decode(std::vector<std::uint32_t>{1, 4}); }, "index 4 at position 1 is outside");
  EXPECT_TRUE(cb.encode({}).empty());
}

TEST(VqCodebook, BitsPerWeightAmortizesTheCodebook) {
  const VqCodebook h(2, 2, VqStorage::fp16, std::vector<float>(16 * 2, 0.25f));  // 16 x 2 x 16 = 512 bits
  EXPECT_EQ(h.index_bits(), 4);
  EXPECT_EQ(h.size(), 16u);
  EXPECT_EQ(h.bits_per_weight(256), 2.0 + 512.0 / 256);
  EXPECT_EQ(h.bits_per_weight(1 << 20), 2.0 + 512.0 / (1 << 20));
  const VqCodebook q(4, 2, VqStorage::int8, std::vector<float>(256 * 4, 1.0f));  // 256 x 4 x 8 + 32 = 8224 bits
  EXPECT_EQ(q.bits_per_weight(4112), 4.0);
  expect_error([&] { (void)q.bits_per_weight(0); }, "must be positive");
}

}  // namespace
}  // namespace mxlab
