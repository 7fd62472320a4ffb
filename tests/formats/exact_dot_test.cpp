// The exact dot product against the Boost.Multiprecision oracle, and the fast exact GEMM against the plain
// reference (block_value + acc_add over reference-encoded rows), bit for bit, for every pair of formats.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "formats/block_codecs.hpp"
#include "formats/dot.hpp"
#include "formats/exact_gemm.hpp"
#include "formats/oracle.hpp"
#include "formats/packed.hpp"
#include "test_util.hpp"

namespace mxlab {
namespace {
using oracle::Rational;
using oracle::pow2;

const AccFormat kAccs[] = {AccFormat::parse("fp32"), AccFormat::parse("bf16"), AccFormat::parse("fp16"),
                           AccFormat::parse("e6m9"), AccFormat::parse("fp64"), AccFormat::parse("e4m3")};

Rational rational(double v) {  // exact for the element and scale values here (at most 24 significant bits)
  int e;
  const double m = std::frexp(v, &e);
  return Rational(static_cast<long long>(std::ldexp(m, 53))) * pow2(e - 53);
}

// Element i of a packed block from decode_elem (the spec table), not from the fixed-point decoder under test.
Rational element_exact(const FormatTraits& t, const std::uint8_t* blk, std::size_t i) {
  if (t.family == Family::vq) {  // the layout of formats/vq_codecs.cpp: scale, K x D int8 entries, indices
    const auto d = static_cast<std::size_t>(t.vq_dim);
    const std::uint32_t k = get_code(blk + t.scale_bits() / 8, t.vq_bits * t.vq_dim, i / d);
    return Rational(static_cast<std::int8_t>(blk[4 + k * d + i % d]));
  }
  const std::uint32_t code = get_code(blk + t.scale_bits() / 8, t.element().bits, i);
  if (t.family == Family::int_asym) return Rational(static_cast<int>(code) - static_cast<int>(blk[4]));
  return rational(decode_elem(t.elem, code)) * (t.family == Family::mx ? pow2(-t.frac_bits) : Rational(1));
}
Rational scale_exact(const FormatTraits& t, const std::uint8_t* blk, bool& nan) {
  double s;
  if (t.scale == ScaleType::e8m0) s = decode_elem(Elem::e8m0, blk[0]);
  else if (t.scale == ScaleType::ue4m3) s = decode_elem(Elem::ue4m3, blk[0]);
  else { float f; std::memcpy(&f, blk, 4); s = f; }
  nan = !std::isfinite(s);
  return nan ? Rational(0) : rational(s);
}
Rational value_of(const ExactValue& v) {
  const Rational m = Rational(boost::multiprecision::cpp_int(static_cast<std::uint64_t>(v.mag >> 64)) * pow2(64) +
                              Rational(static_cast<std::uint64_t>(v.mag))) * pow2(v.exp);
  return v.neg ? Rational(-m) : m;
}

std::vector<float> values(std::size_t n, std::uint32_t seed, int kmin, int kmax) {
  return test::random_blocks(n, 8, seed, kmin, kmax);
}


TEST(ExactDot, BlockValueAndAccumulationMatchTheOracleForEveryFormatPair) {
  std::size_t checked = 0, operands_a = 0;
  for (const FormatTraits& ta : format_table()) {
    if (ta.family == Family::vq) continue;  // VQ is a weight format: B operands only
    ++operands_a;
    for (const FormatTraits& tb : format_table()) {
      const int n = 16;  // one block of 16 in both formats
      QuantConfig c;
      c.block = n;
      for (std::uint32_t seed = 0; seed < 6; ++seed) {
        const PackedTensor pa = encode_ref(ta.id, values(n, seed, -12, 12), c);
        const PackedTensor pb = encode_ref(tb.id, values(n, 100 + seed, -12, 12), c);
        std::vector<std::uint8_t> ca(n), cb(n);
        for (int i = 0; i < n; ++i) {
          ca[i] = static_cast<std::uint8_t>(ta.lane_code(pa.bytes.data(), i));
          cb[i] = static_cast<std::uint8_t>(tb.lane_code(pb.bytes.data(), i));
        }
        const ExactValue v = block_value(block_operand(ta, pa.bytes.data(), ca), block_operand(tb, pb.bytes.data(), cb));
        bool na, nb;
        const Rational xa = scale_exact(ta, pa.bytes.data(), na), xb = scale_exact(tb, pb.bytes.data(), nb);
        ASSERT_FALSE(na || nb || v.nan || v.inf);
        Rational sum = 0;
        for (int i = 0; i < n; ++i) sum += element_exact(ta, pa.bytes.data(), i) * element_exact(tb, pb.bytes.data(), i);
        ASSERT_EQ(value_of(v), xa * xb * sum) << ta.name << " x " << tb.name << " seed " << seed;
        for (const AccFormat& f : kAccs) {  // one rounding into every accumulator, from a non-zero start
          const std::uint64_t acc0 = f.from_double(std::ldexp(0.7, static_cast<int>(seed) * 3 - 9));
          const AccResult r = acc_add(f, acc0, v);
          ASSERT_EQ(r.bits, oracle::round_exact(f, oracle::acc_value(f, acc0) + value_of(v)))
              << ta.name << " x " << tb.name << " acc " << f.name();
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, operands_a * kFormatCount * 6u);
}

TEST(ExactDot, SpecialBlocks) {
  const FormatTraits& t = traits(Format::mxfp8_e5m2);
  std::vector<std::uint8_t> a(4, 0), b(4, 0x3C);  // b: 1.0
  const std::uint8_t one = 127, nan = 0xFF;
  EXPECT_TRUE(block_value(block_operand(t, &nan, a), block_operand(t, &one, b)).nan);  // NaN scale
  a[0] = 0x7C;  // +Inf
  ExactValue v = block_value(block_operand(t, &one, a), block_operand(t, &one, b));
  EXPECT_TRUE(v.inf && !v.neg);
  a[1] = 0xFC;  // -Inf: +Inf + -Inf
  v = block_value(block_operand(t, &one, a), block_operand(t, &one, b));
  EXPECT_TRUE(v.nan);
  EXPECT_EQ(v.nan_flags, unsigned{kInvalid});
  EXPECT_THROW(block_value(block_operand(t, &one, a), block_operand(t, &one, {b.data(), 3})), std::invalid_argument);
}

TEST(AccFormat, ParseNameAndDoubleRoundTrip) {
  EXPECT_EQ(AccFormat::parse("bf16"), (AccFormat{8, 7}));
  EXPECT_EQ(AccFormat::parse("e6m9").name(), "e6m9");
  EXPECT_EQ(AccFormat::parse("fp16").name(), "fp16");
  for (const char* bad : {"fp8", "e1m3", "e12m3", "e5m0", "e5m53", "e5", "e5m2x", ""})
    EXPECT_THROW(AccFormat::parse(bad), std::invalid_argument) << bad;
  const AccFormat h = AccFormat::parse("fp16");
  EXPECT_EQ(h.from_double(65504.0), 0x7BFFu);
  EXPECT_EQ(h.from_double(65520.0), 0x7C00u);          // rounds to Inf
  EXPECT_EQ(h.from_double(std::ldexp(1.0, -25)), 0u);  // half the smallest subnormal: ties to even (0)
  EXPECT_EQ(h.from_double(std::ldexp(3.0, -26)), 1u);
  EXPECT_EQ(h.to_double(0x3C01), 1.0 + std::ldexp(1.0, -10));
}

// Fast exact GEMM == reference for a pair of formats, a few rows with mixed magnitudes and K off the block grid.
void expect_gemm_equal(Format fa, Format fw, const AccFormat& acc, Round round, std::uint32_t seed, int kmin, int kmax,
                       int K = 80) {
  const FormatTraits &ta = traits(fa), &tw = traits(fw);
  const int M = 3, N = 4;
  QuantConfig ca, cw;  // each format's default block
  ca.round = cw.round = round;
  ca.seed = seed, cw.seed = seed + 1;
  ca.tensor_scale = ta.family == Family::nvfp4 && seed % 2;
  cw.tensor_scale = tw.family == Family::nvfp4 && seed % 2;
  const std::vector<float> xa = values(static_cast<std::size_t>(M) * K, seed, kmin, kmax);
  std::vector<float> xw = values(static_cast<std::size_t>(N) * K, seed + 7, kmin, kmax);
  std::fill(xw.begin(), xw.begin() + K, 0.0f);  // an all-zero row
  // nvfp4's tensor scale is one per matrix (NVIDIA's recipe): the reference rows are encoded against it
  const float ga = codecs::nvfp4_tensor_scale(xa), gw = codecs::nvfp4_tensor_scale(xw);
  std::vector<PackedTensor> ra, rw;
  for (int r = 0; r < M; ++r) {
    QuantConfig c = ca;
    if (c.tensor_scale) c.tensor_scale_value = ga;
    c.index_base = static_cast<std::size_t>(r) * K;
    ra.push_back(encode_ref(fa, std::span(xa).subspan(static_cast<std::size_t>(r) * K, K), c));
  }
  for (int r = 0; r < N; ++r) {
    QuantConfig c = cw;
    if (c.tensor_scale) c.tensor_scale_value = gw;
    c.index_base = static_cast<std::size_t>(r) * K;
    rw.push_back(encode_ref(fw, std::span(xw).subspan(static_cast<std::size_t>(r) * K, K), c));
  }
  std::vector<float> want(M * N), got(M * N);
  exact_gemm_ref(ra, rw, acc, want);
  const ExactMatrix ma = ExactMatrix::quantize(fa, ca, xa, M, K), mw = ExactMatrix::quantize(fw, cw, xw, N, K);
  for (float g : ma.tensor_scale) EXPECT_EQ(g, ca.tensor_scale ? ga : 1.0f);
  for (float g : mw.tensor_scale) EXPECT_EQ(g, cw.tensor_scale ? gw : 1.0f);
  exact_gemm(ma, mw, acc, got);
  EXPECT_TRUE(test::bit_equal(got, want)) << ta.name << " x " << tw.name << " acc " << acc.name() << " "
                                          << round_name(round) << " seed " << seed;
}

TEST(ExactGemm, FastEqualsReferenceForEveryFormatPair) {
  for (const FormatTraits& ta : format_table())
    for (const FormatTraits& tw : format_table())
      for (const AccFormat& acc : {kAccs[0], kAccs[1]})
        if (ta.family != Family::vq && tw.family != Family::vq)  // VQ weights: vq_format_test.cpp
          expect_gemm_equal(ta.id, tw.id, acc, Round::even, 3, -6, 6);
}

TEST(ExactGemm, FastEqualsReferenceEveryAccumulatorAndRounding) {
  const Format pairs[][2] = {{Format::mxint8, Format::mxint4}, {Format::mxfp8_e4m3, Format::mxfp4_e2m1},
                             {Format::mxfp8_e5m2, Format::mxfp8_e5m2}, {Format::nvfp4, Format::nvfp4},
                             {Format::int8, Format::int4_asym}, {Format::fp8_e4m3, Format::fp4_e3m0},
                             {Format::mxfp6_e3m2, Format::int4}};
  for (const auto& p : pairs)
    for (const AccFormat& acc : kAccs)
      for (Round r : test::all_rounds())
        for (std::uint32_t seed = 0; seed < 4; ++seed) {
          expect_gemm_equal(p[0], p[1], acc, r, seed, -4, 4);       // ordinary magnitudes
          expect_gemm_equal(p[0], p[1], acc, r, seed, -60, 60);     // overflow / underflow of narrow accumulators
          expect_gemm_equal(p[0], p[1], acc, r, seed, -3, 3, 257);  // long sums, a 1-element tail block
        }
}

// Blocks that do not nest (per-row weight groups of 40 against activation blocks of 32, 24 against 32): block
// pairs end at either operand's block boundary.
TEST(ExactGemm, BlocksThatDoNotNestPairAtEveryBoundary) {
  for (const auto& [ba, bw] : {std::pair{32, 40}, std::pair{32, 24}, std::pair{16, 172}}) {
    const int K = 172, M = 2, N = 3;
    const std::vector<float> xa = values(M * K, 1, -4, 4), xw = values(N * K, 2, -4, 4);
    QuantConfig ca, cw;
    ca.block = ba, cw.block = bw;
    std::vector<PackedTensor> ra, rw;
    for (int r = 0; r < M; ++r) ra.push_back(encode_ref(Format::mxint8, std::span(xa).subspan(r * K, K), ca));
    for (int r = 0; r < N; ++r) rw.push_back(encode_ref(Format::int4, std::span(xw).subspan(r * K, K), cw));
    for (const AccFormat& acc : {kAccs[0], kAccs[1]}) {
      std::vector<float> want(M * N), got(M * N);
      exact_gemm_ref(ra, rw, acc, want);
      exact_gemm(ExactMatrix::quantize(Format::mxint8, ca, xa, M, K), ExactMatrix::quantize(Format::int4, cw, xw, N, K), acc,
                 got);
      EXPECT_TRUE(test::bit_equal(got, want)) << ba << " x " << bw << " " << acc.name();
    }
  }
}

// Sums whose exact value lies just above a tie of the accumulator but whose double rounding lands on it: the
// fast path must round the double sum to odd first. acc = 1 (block 1), then one block of 2^-p + 2^-q (q > p + 53).
TEST(ExactGemm, NoDoubleRoundingWhenATinyTermDecidesTheTie) {
  struct Case { AccFormat acc; float a1, a2, w1, w2; float want; };
  const Case cases[] = {
      {AccFormat::parse("fp32"), 0x1p-12f, 0x1p-40f, 0x1p-12f, 0x1p-20f, 1.0f + 0x1p-23f},  // 1 + 2^-24 + 2^-60
      {AccFormat::parse("bf16"), 0x1p-4f, 0x1p-30f, 0x1p-4f, 0x1p-26f, 1.0f + 0x1p-7f},     // 1 + 2^-8 + 2^-56
  };
  for (const Case& c : cases) {
    std::vector<float> a(64, 0.0f), w(64, 0.0f);
    a[0] = w[0] = 1.0f;
    a[32] = c.a1, a[33] = c.a2, w[32] = c.w1, w[33] = c.w2;
    float got = 0, want = 0;
    exact_gemm(ExactMatrix::quantize(Format::mxfp8_e5m2, {}, a, 1, 64),
               ExactMatrix::quantize(Format::mxfp8_e5m2, {}, w, 1, 64), c.acc, {&got, 1});
    const PackedTensor pa = encode_ref(Format::mxfp8_e5m2, a), pw = encode_ref(Format::mxfp8_e5m2, w);
    exact_gemm_ref({&pa, 1}, {&pw, 1}, c.acc, {&want, 1});
    EXPECT_EQ(want, c.want) << c.acc.name();
    EXPECT_EQ(got, c.want) << c.acc.name();
  }
}

// An int8 row (FP32 scale per 32) with chosen scales and codes: packed, and as the values the decoder gives.
struct Int8Row {
  PackedTensor packed;
  std::vector<float> values;
  std::vector<std::uint8_t> scales;
};
Int8Row int8_row(const std::vector<float>& scales, const std::vector<std::pair<int, int>>& codes) {
  Int8Row r;
  r.packed.format = Format::int8, r.packed.block = 32, r.packed.count = 32 * scales.size();
  r.values.assign(r.packed.count, 0.0f);
  for (float s : scales) {
    std::uint8_t b[4];
    std::memcpy(b, &s, 4);
    r.scales.insert(r.scales.end(), b, b + 4);
    r.packed.bytes.insert(r.packed.bytes.end(), b, b + 4);
    r.packed.bytes.resize(r.packed.bytes.size() + 32, 0);
  }
  for (const auto& [i, k] : codes) {
    r.packed.bytes[(i / 32) * 36 + 4 + i % 32] = static_cast<std::uint8_t>(k);
    r.values[i] = static_cast<float>(k) * scales[i / 32];
  }
  return r;
}

// One output of a . w through the fast path and the reference, every accumulator; `fp32` expected with FP32.
void expect_fast_equals_ref(const Int8Row& a, const Int8Row& w, float fp32) {
  const int K = static_cast<int>(a.values.size());
  for (const AccFormat& acc : kAccs) {
    float got = 0, want = 0;
    exact_gemm(ExactMatrix::with_scales(Format::int8, 32, a.values, 1, K, a.scales),
               ExactMatrix::with_scales(Format::int8, 32, w.values, 1, K, w.scales), acc, {&got, 1});
    exact_gemm_ref({&a.packed, 1}, {&w.packed, 1}, acc, {&want, 1});
    EXPECT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(want)) << acc.name();
    if (acc == AccFormat{}) {
      EXPECT_EQ(want, fp32);
    }
  }
}

// FP32 scales: a block value S sa sb of 54+ significant bits lands just below an FP32 midpoint after a rounded
// double sum would have put it on it. acc = 1 - 2^-16 + 2^-22, then 255 (2^23+1)(2^23-1) 2^-70 =
// 2^-16 - 2^-24 - 255 2^-70: the exact sum is 1 + 3 2^-24 - 255 2^-70, which rounds to 1 + 2^-23 (not 1 + 2^-22).
TEST(ExactGemm, FpScaledBlocksRoundOnceWhenTheProductNeedsTwoDoubles) {
  const Int8Row a = int8_row({1.0f, std::ldexp(8388609.0f, -35)}, {{0, 1}, {32, 15}});
  const Int8Row w = int8_row({1.0f - 0x1p-16f + 0x1p-22f, std::ldexp(8388607.0f, -35)}, {{0, 1}, {32, 17}});
  expect_fast_equals_ref(a, w, 1.0f + 0x1p-23f);
}

// The low double decides: 4303 * 16219665 * 16519105 = 2^60 - 1, so the block value (2^60 - 1) 2^-84 rounds to
// hi = 2^-24 and lo = -2^-84. acc = 1 + 2^-23; acc + hi is the FP32 midpoint 1 + 3 2^-24, and only lo says the
// exact sum lies below it: 1 + 2^-23, where a sum that dropped lo would round the tie to even (1 + 2^-22).
TEST(ExactGemm, FpScaledBlocksKeepTheLowPartOfTheProduct) {
  const Int8Row a = int8_row({1.0f, std::ldexp(16219665.0f, -42)}, {{0, 1}, {32, 127}, {33, 112}});
  const Int8Row w = int8_row({1.0f + 0x1p-23f, std::ldexp(16519105.0f, -42)}, {{0, 1}, {32, 33}, {33, 1}});
  expect_fast_equals_ref(a, w, 1.0f + 0x1p-23f);
}

// Sparse powers of two over a wide range: exact sums often fall next to accumulator ties.
TEST(ExactGemm, FastEqualsReferenceOnSparsePowersOfTwo) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> k(-24, 12), pick(0, 9);
  for (const AccFormat& acc : kAccs)
    for (int trial = 0; trial < 40; ++trial) {
      const int M = 4, N = 4, K = 96;
      std::vector<float> a(M * K), w(N * K);
      for (auto* v : {&a, &w})
        for (float& x : *v) x = pick(rng) < 6 ? 0.0f : std::ldexp(pick(rng) < 5 ? 1.0f : -1.0f, k(rng));
      std::vector<PackedTensor> ra, rw;
      for (int r = 0; r < M; ++r) ra.push_back(encode_ref(Format::mxfp8_e5m2, std::span(a).subspan(r * K, K)));
      for (int r = 0; r < N; ++r) rw.push_back(encode_ref(Format::mxfp8_e5m2, std::span(w).subspan(r * K, K)));
      std::vector<float> want(M * N), got(M * N);
      exact_gemm_ref(ra, rw, acc, want);
      exact_gemm(ExactMatrix::quantize(Format::mxfp8_e5m2, {}, a, M, K), ExactMatrix::quantize(Format::mxfp8_e5m2, {}, w, N, K),
                 acc, got);
      ASSERT_TRUE(test::bit_equal(got, want)) << acc.name() << " trial " << trial;
    }
}

TEST(ExactGemm, NanBlocksAndMismatchedShapes) {
  std::vector<float> x(64, 1.0f), w(64, 0.5f);
  x[40] = std::nanf("");
  QuantConfig c;
  std::vector<float> out(1);
  exact_gemm(ExactMatrix::quantize(Format::mxint8, c, x, 1, 64), ExactMatrix::quantize(Format::mxint8, c, w, 1, 64),
             AccFormat{}, out);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_THROW(exact_gemm(ExactMatrix::quantize(Format::mxint8, c, x, 1, 64),
                          ExactMatrix::quantize(Format::mxint8, c, std::span(w).first(32), 1, 32), AccFormat{}, out),
               std::invalid_argument);

}

TEST(ExactMatrix, WithScalesAcceptsQuantizedValuesAndRejectsOthers) {
  for (const FormatTraits& t : format_table()) {
    const int K = 48, rows = 2;
    const std::vector<float> x = values(static_cast<std::size_t>(rows) * K, 11, -5, 5);
    QuantConfig c;
    std::vector<float> q(x.size());
    std::vector<std::uint8_t> scales;
    for (int r = 0; r < rows; ++r) {  // the scales fake_quantize used, from the reference encoder
      const auto row = std::span(x).subspan(static_cast<std::size_t>(r) * K, K);
      fake_quantize(t.id, row, std::span(q).subspan(static_cast<std::size_t>(r) * K, K), c);
      const PackedTensor p = encode_ref(t.id, row, c);
      for (std::size_t b = 0; b < p.block_count(); ++b)
        scales.insert(scales.end(), p.bytes.begin() + b * t.block_bytes(p.block),
                      p.bytes.begin() + b * t.block_bytes(p.block) + t.scale_bits() / 8);
    }
    const ExactMatrix m = ExactMatrix::with_scales(t.id, 0, q, rows, K, scales);
    const ExactMatrix ref = ExactMatrix::quantize(t.id, c, x, rows, K);
    EXPECT_EQ(m.fixed32, ref.fixed32) << t.name;
    EXPECT_EQ(m.fixed64, ref.fixed64) << t.name;
    std::vector<float> off = q;
    off[5] = std::nextafter(q[5] == 0 ? 1e-3f : q[5], 1e30f);  // not an element times the scale
    EXPECT_THROW(ExactMatrix::with_scales(t.id, 0, off, rows, K, scales), std::invalid_argument) << t.name;
  }
}

}  // namespace
}  // namespace mxlab
