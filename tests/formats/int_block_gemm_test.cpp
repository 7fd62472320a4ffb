// The integer block GEMM equals exact_gemm bit for bit: exhaustively over the element values of one block for
// every covered format pair, on random multi-block GEMMs with spread scales and ragged shapes, and it refuses
// (exact_gemm_fast falls back for) what it cannot compute exactly in integers.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdlib>
#include <vector>

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

}  // namespace
}  // namespace mxlab
