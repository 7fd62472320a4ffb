// The integer block GEMM equals exact_gemm bit for bit: exhaustively over the element values of one block for
// every covered format pair, on random multi-block GEMMs with spread scales and ragged shapes, and it refuses
// (exact_gemm_fast falls back for) what it cannot compute exactly in integers.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "formats/dot.hpp"
#include "formats/element.hpp"
#include "formats/int_block_gemm.hpp"
#include "test_util.hpp"

namespace mxlab {
namespace {

constexpr Format kActs[] = {Format::mxint8, Format::mxint4, Format::mxfp4_e2m1, Format::mxfp6_e2m3};
constexpr Format kWeights[] = {Format::mxint4, Format::mxfp4_e2m1, Format::mxfp6_e2m3};

std::vector<float> element_values(Format f) {  // every finite value of the format's element type
  const ElemSpec& e = traits(f).element();
  std::vector<float> v;
  for (std::uint32_t c = 0; c < (1u << e.bits); ++c)
    if (const double x = decode_elem(e.id, c); std::isfinite(x)) v.push_back(static_cast<float>(x));
  return v;
}

// Row r: element 0 is the largest value (so the block scale is 2^0 and every value is exact), the other 31 are
// value r of the element type with alternating signs and a row-dependent power of two (the scales vary).
std::vector<float> code_rows(Format f, int& rows) {
  const std::vector<float> v = element_values(f);
  const float top = *std::max_element(v.begin(), v.end());
  rows = static_cast<int>(v.size());
  std::vector<float> x(static_cast<std::size_t>(rows) * 32);
  for (int r = 0; r < rows; ++r) {
    const float p = std::ldexp(1.0f, r % 9 - 4);
    for (int k = 0; k < 32; ++k) x[r * 32 + k] = p * (k == 0 ? top : (k % 3 ? v[r] : -v[r]));
  }
  return x;
}

// Both kernels: AVX2, and AVX-512 VNNI where the CPU has it (MXLAB_NO_AVX512 forces AVX2).
void expect_same(const ExactMatrix& a, const ExactMatrix& w, const char* what) {
  ASSERT_TRUE(int_block_gemm_supports(a, w, AccFormat{})) << what;
  std::vector<float> got(static_cast<std::size_t>(a.rows) * w.rows), want(got.size());
  exact_gemm(a, w, AccFormat{}, want);
  for (bool avx2 : {true, false}) {
    if (avx2) setenv("MXLAB_NO_AVX512", "1", 1);
    else unsetenv("MXLAB_NO_AVX512");
    std::fill(got.begin(), got.end(), -1.0f);
    int_block_gemm(a, w, AccFormat{}, got);
    EXPECT_TRUE(test::bit_equal(got, want)) << what << (int_block_gemm_vnni() ? " (AVX-512 VNNI)" : " (AVX2)");
  }
}

TEST(IntBlockGemm, EveryElementPairOfOneBlockEqualsExactGemm) {
  for (Format fa : kActs)
    for (Format fw : kWeights) {
      int ra = 0, rw = 0;
      const std::vector<float> xa = code_rows(fa, ra), xw = code_rows(fw, rw);
      const ExactMatrix a = ExactMatrix::quantize(fa, {}, xa, ra, 32), w = ExactMatrix::quantize(fw, {}, xw, rw, 32);
      expect_same(a, w, (std::string(traits(fa).name) + " x " + traits(fw).name).c_str());
    }
}

TEST(IntBlockGemm, RandomGemmsWithSpreadScalesEqualExactGemmOnAnyThreadCount) {
  const int M = 37, N = 45;
  for (int K : {32, 300, 1024})
    for (Format fa : kActs)
      for (Format fw : kWeights) {
        const std::vector<float> xa = test::random_blocks(static_cast<std::size_t>(M) * K, 32, 7 + K, -30, 30);
        const std::vector<float> xw = test::random_blocks(static_cast<std::size_t>(N) * K, 32, 8 + K, -30, 30);
        const ExactMatrix a = ExactMatrix::quantize(fa, {}, xa, M, K), w = ExactMatrix::quantize(fw, {}, xw, N, K);
        const std::string what = std::string(traits(fa).name) + " x " + traits(fw).name + " K=" + std::to_string(K);
        for (int threads : {1, 2}) {
          omp_set_num_threads(threads);
          expect_same(a, w, what.c_str());
        }
      }
}

TEST(IntBlockGemm, RefusesWhatIsNotExactInIntegersAndTheFastEntryFallsBack) {
  const int K = 64;
  const std::vector<float> x = test::random_blocks(4 * K, 32, 3);
  auto m = [&](Format f, int block = 0) {
    QuantConfig c;
    c.block = block;
    return ExactMatrix::quantize(f, c, x, 4, K);
  };
  const ExactMatrix a8 = m(Format::mxint8), w4 = m(Format::mxint4);
  EXPECT_TRUE(int_block_gemm_supports(a8, w4, AccFormat{}));
  EXPECT_FALSE(int_block_gemm_supports(a8, w4, AccFormat::parse("bf16")));          // accumulator not FP32
  EXPECT_FALSE(int_block_gemm_supports(m(Format::mxfp8_e4m3), w4, AccFormat{}));    // elements not int8
  EXPECT_FALSE(int_block_gemm_supports(a8, m(Format::mxint8), AccFormat{}));        // int8 weights saturate
  EXPECT_FALSE(int_block_gemm_supports(a8, m(Format::nvfp4), AccFormat{}));         // scales not powers of two
  EXPECT_FALSE(int_block_gemm_supports(a8, m(Format::mxint4, 64), AccFormat{}));    // different block sizes
  // Scale products beyond 2^105: the block sum times the scales may leave float's range.
  std::vector<float> big(x);
  for (float& v : big) v = std::ldexp(v, 100);
  const ExactMatrix abig = ExactMatrix::quantize(Format::mxint8, {}, big, 4, K);
  EXPECT_FALSE(int_block_gemm_supports(abig, ExactMatrix::quantize(Format::mxint4, {}, big, 4, K), AccFormat{}));
  std::vector<float> out(16);
  EXPECT_THROW(int_block_gemm(a8, m(Format::mxint8), AccFormat{}, out), std::invalid_argument);
  for (const auto& [a, w] : {std::pair{a8, m(Format::mxint8)}, std::pair{a8, m(Format::nvfp4)}, std::pair{a8, w4}}) {
    std::vector<float> got(16), want(16);
    exact_gemm_fast(a, w, AccFormat{}, got);
    exact_gemm(a, w, AccFormat{}, want);
    EXPECT_TRUE(test::bit_equal(got, want));
  }
}

// The one-pass activation encoder gives exactly the codes and scales of the reference quantizer (ExactMatrix::
// quantize, i.e. fake_quantize and the reference scale encoder) packed for the kernel, on random blocks with
// scales over 2^+-30 and on adversarial blocks: exact ties between grid points, saturation just below the next
// power of two, zeros, float32 subnormals, E8M0's clamps at 2^-127 and 2^127, ragged last blocks.
std::vector<float> adversarial_rows(Format f, int cols, int rows) {
  const FormatTraits& t = traits(f);
  std::vector<float> grid = element_values(f);  // element values, in the element's units (MXINT: k * 2^-frac)
  for (float& g : grid) g = std::ldexp(g, t.element().is_int ? -t.frac_bits : 0);
  std::sort(grid.begin(), grid.end());
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> kind(0, 6), pick(0, static_cast<int>(grid.size()) - 2), shift(-20, 20), sub(-300, 300);
  std::vector<float> x(static_cast<std::size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r)
    for (int b = 0; b < cols; b += 32) {
      const int k = kind(rng), X = k == 4 ? -140 : k == 5 ? 120 : shift(rng);
      for (int i = b; i < std::min(cols, b + 32); ++i) {
        const int j = pick(rng);
        const float tie = std::ldexp((grid[j] + grid[j + 1]) / 2, X);  // half-way between grid points (scale 2^X)
        float& v = x[static_cast<std::size_t>(r) * cols + i];
        if (i == b && k != 2 && k != 3) v = std::ldexp(k == 1 ? 1.999f : 1.0f, X + t.scale_emax());  // sets the scale
        else if (k == 2) v = i % 3 ? 0.0f : -0.0f;
        else if (k == 3) v = std::ldexp(static_cast<float>(sub(rng)), -149);  // float32 subnormals
        else if (k == 6) v = i % 2 ? -0.0f : -tie;
        else v = tie;  // kinds 4, 5: E8M0's clamps (the ties are not ties any more under a clamped scale)
      }
    }
  return x;
}

void expect_encoder_matches(Format f, const QuantConfig& cfg, const std::vector<float>& x, int rows, int cols,
                            const std::string& what) {
  const std::optional<IntBlockA> got = encode_int_block_acts(f, cfg, x, rows, cols);
  const std::optional<IntBlockA> want = pack_int_block_acts(ExactMatrix::quantize(f, cfg, x, rows, cols));
  ASSERT_TRUE(got && want) << what;
  EXPECT_EQ(got->Kp, want->Kp) << what;
  EXPECT_EQ(got->a, want->a) << what;
  EXPECT_TRUE(test::bit_equal(got->scale, want->scale)) << what;
  EXPECT_EQ(got->range.lo, want->range.lo) << what;
  EXPECT_EQ(got->range.hi, want->range.hi) << what;
}

TEST(IntBlockEncode, OnePassEncoderEqualsTheReferenceQuantizerPacked) {
  for (Format f : kActs)
    for (int cols : {32, 300, 2048})
      for (int block : {32, 64}) {
        QuantConfig cfg;
        cfg.block = block;
        const std::string what = std::string(traits(f).name) + " cols " + std::to_string(cols) + " block " +
                                 std::to_string(block);
        const int rows = 9;
        expect_encoder_matches(f, cfg, test::random_blocks(static_cast<std::size_t>(rows) * cols, 32, cols, -30, 30), rows,
                               cols, what + " random");
        expect_encoder_matches(f, cfg, adversarial_rows(f, cols, rows), rows, cols, what + " adversarial");
      }
}

TEST(IntBlockEncode, DeclinesWhatItDoesNotEncode) {
  const int K = 64;
  std::vector<float> x = test::random_blocks(2 * K, 32, 5);
  QuantConfig stochastic, flush;
  stochastic.round = Round::stochastic, flush.flush_subnormal_inputs = true;
  EXPECT_TRUE(encode_int_block_acts(Format::mxint8, {}, x, 2, K));
  EXPECT_FALSE(encode_int_block_acts(Format::mxint8, stochastic, x, 2, K));
  EXPECT_FALSE(encode_int_block_acts(Format::mxint8, flush, x, 2, K));
  EXPECT_FALSE(encode_int_block_acts(Format::mxfp8_e4m3, {}, x, 2, K));  // elements beyond int8
  EXPECT_FALSE(encode_int_block_acts(Format::nvfp4, {}, x, 2, K));       // not an E8M0 format
  EXPECT_FALSE(encode_int_block_acts(Format::mxint8, {}, x, 3, K));      // wrong size
  x[70] = std::numeric_limits<float>::quiet_NaN();                       // a NaN block: the ExactMatrix path's job
  EXPECT_FALSE(encode_int_block_acts(Format::mxint8, {}, x, 2, K));
  x[70] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(encode_int_block_acts(Format::mxint8, {}, x, 2, K));
}

// Packed once, multiplied many times: the weights' packed form with encoded activations equals exact_gemm.
TEST(IntBlockEncode, EncodedActivationsTimesPackedWeightsEqualExactGemm) {
  const int M = 21, N = 40, K = 320;
  const std::vector<float> xw = test::random_blocks(static_cast<std::size_t>(N) * K, 32, 2, -20, 20);
  for (Format fw : kWeights) {
    const ExactMatrix w = ExactMatrix::quantize(fw, {}, xw, N, K);
    const std::optional<IntBlockW> pw = pack_int_block_weights(w);
    ASSERT_TRUE(pw);
    const std::optional<IntBlockA> ew = encode_int_block_acts(fw, {}, xw, N, K);  // weights packed without ExactMatrix
    ASSERT_TRUE(ew);
    const std::optional<IntBlockW> pe = pack_int_block_weights(*ew);
    ASSERT_TRUE(pe);
    EXPECT_TRUE(pe->w == pw->w && pe->sum128 == pw->sum128 && test::bit_equal(pe->scale, pw->scale)) << traits(fw).name;
    EXPECT_TRUE(pe->range.lo == pw->range.lo && pe->range.hi == pw->range.hi && pe->Kp == pw->Kp) << traits(fw).name;
    for (Format fa : kActs)
      for (std::uint32_t seed : {3u, 4u}) {
        const std::vector<float> xa = test::random_blocks(static_cast<std::size_t>(M) * K, 32, seed, -20, 20);
        const std::optional<IntBlockA> a = encode_int_block_acts(fa, {}, xa, M, K);
        ASSERT_TRUE(a && int_block_gemm_supports(*a, *pw, AccFormat{}));
        std::vector<float> got(static_cast<std::size_t>(M) * N), want(got.size());
        int_block_gemm(*a, *pw, AccFormat{}, got);
        exact_gemm(ExactMatrix::quantize(fa, {}, xa, M, K), w, AccFormat{}, want);
        EXPECT_TRUE(test::bit_equal(got, want)) << traits(fa).name << " x " << traits(fw).name;
      }
  }
  EXPECT_FALSE(pack_int_block_weights(ExactMatrix::quantize(Format::mxint8, {}, xw, N, K)));  // int8 weights saturate
  EXPECT_FALSE(pack_int_block_weights(*encode_int_block_acts(Format::mxint8, {}, xw, N, K)));
}

// W larger than one cache chunk of weight tiles (512 KiB: 256 rows at K = 2048), both kernels.
TEST(IntBlockEncode, WeightsSpanningSeveralCacheChunksEqualExactGemm) {
  const int M = 9, N = 600, K = 2048;
  const std::vector<float> xa = test::random_blocks(static_cast<std::size_t>(M) * K, 32, 5, -10, 10);
  const std::vector<float> xw = test::random_blocks(static_cast<std::size_t>(N) * K, 32, 6, -10, 10);
  expect_same(ExactMatrix::quantize(Format::mxint8, {}, xa, M, K), ExactMatrix::quantize(Format::mxint4, {}, xw, N, K),
              "mxint8 x mxint4, 600 x 2048 weights");
}

}  // namespace
}  // namespace mxlab
