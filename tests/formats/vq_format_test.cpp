// The VQ rows of the format table: exact bits per weight, the packed layout (codebook, then indices), decode = lookup,
// nearest-codeword encoding, bit-exact round trips, known codebooks through pack_rows, the exact dot against a
// double oracle and the exact GEMM against its reference, and clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "formats/dot.hpp"
#include "formats/exact_gemm.hpp"
#include "formats/packed.hpp"
#include "test_util.hpp"

namespace mxlab {
namespace {

std::vector<const FormatTraits*> vq_rows() {
  std::vector<const FormatTraits*> v;
  for (const FormatTraits& t : format_table())
    if (t.family == Family::vq) v.push_back(&t);
  return v;
}

// The codebook of a packed block read straight from the documented layout: FP32 scale, K x D int8 entries.
struct Book {
  float scale;
  std::vector<std::int8_t> q;
};
Book book_of(const FormatTraits& t, const std::uint8_t* blk) {
  Book b;
  std::memcpy(&b.scale, blk, 4);
  const std::size_t n = (std::size_t{1} << (t.vq_bits * t.vq_dim)) * t.vq_dim;
  b.q.assign(reinterpret_cast<const std::int8_t*>(blk + 4), reinterpret_cast<const std::int8_t*>(blk + 4) + n);
  return b;
}

TEST(VqFormat, RowsAndExactBitsPerWeight) {
  ASSERT_EQ(vq_rows().size(), 5u);
  for (const FormatTraits* t : vq_rows()) {
    const int K = 1 << (t->vq_bits * t->vq_dim);
    EXPECT_EQ(t->elem, Elem::int8) << t->name;
    EXPECT_EQ(t->scale_bits(), 32 + K * t->vq_dim * 8) << t->name;  // FP32 scale + K x D int8 entries
    EXPECT_EQ(t->default_block, 8 * t->scale_bits()) << t->name;     // the codebook costs 1/8 bit per weight
    EXPECT_EQ(t->bits_per_weight(), t->vq_bits + 0.125) << t->name;
    EXPECT_EQ(t->bits_per_weight(64), t->vq_bits + t->scale_bits() / 64.0) << t->name;
    EXPECT_EQ(t->block_bytes(64), static_cast<std::size_t>(t->scale_bits() / 8 + 8 * t->vq_bits)) << t->name;
  }
  EXPECT_EQ(traits(Format::vq2_d2).bits_per_weight(), 2.125);
  EXPECT_EQ(traits(Format::vq3_d1).bits_per_weight(), 3.125);
  EXPECT_EQ(traits(Format::vq4_d1).bits_per_weight(), 4.125);
  EXPECT_EQ(find_format("vq3_d2").vq_dim, 2);
}

// Every decoded value is its lane of the codeword its index selects, fl32(q * s); every vector's codeword is a
// nearest one (checked in double against every codeword); serialization and re-encoding give the same bytes.
TEST(VqFormat, DecodeIsLookupOfTheNearestCodeword) {
  for (const FormatTraits* t : vq_rows())
    for (int block : {0, 64, 126}) {
      const auto x = test::random_blocks(1000, 50, 5, -4, 4);
      const QuantConfig cfg{.block = block};
      const PackedTensor p = encode_ref(t->id, x, cfg);
      EXPECT_EQ(p.bytes, encode_ref(t->id, x, cfg).bytes) << t->name << ": the codebook fit is deterministic";
      const std::vector<float> y = decode(p);
      EXPECT_TRUE(test::bit_equal(decode(deserialize(serialize(p))), y)) << t->name;
      std::vector<float> fq(x.size());
      fake_quantize(t->id, x, fq, cfg);
      EXPECT_TRUE(test::bit_equal(fq, y)) << t->name;
      const std::size_t B = static_cast<std::size_t>(p.block), D = static_cast<std::size_t>(t->vq_dim);
      const std::size_t K = std::size_t{1} << (t->vq_bits * t->vq_dim);
      for (std::size_t b = 0; b < p.block_count(); ++b) {
        const std::uint8_t* blk = &p.bytes[b * t->block_bytes(p.block)];
        const Book bk = book_of(*t, blk);
        ASSERT_TRUE(bk.scale >= 0 && std::isfinite(bk.scale));
        for (std::size_t v = b * B; v < std::min(x.size(), (b + 1) * B); v += D) {
          double got = 0, best = std::numeric_limits<double>::infinity();
          for (std::size_t d = 0; d < D; ++d) {
            const double xv = v + d < x.size() ? x[v + d] : 0.0;
            if (v + d < x.size()) {
              const std::uint32_t k = get_code(blk + t->scale_bits() / 8, t->vq_bits * t->vq_dim, (v - b * B) / D);
              ASSERT_EQ(test::bits(y[v + d]), test::bits(static_cast<float>(bk.q[k * D + d]) * bk.scale)) << t->name;
            }
            got += (xv - (v + d < x.size() ? y[v + d] : 0.0)) * (xv - (v + d < x.size() ? y[v + d] : 0.0));
          }
          for (std::size_t k = 0; k < K; ++k) {
            double dist = 0;
            for (std::size_t d = 0; d < D; ++d) {
              const double diff = (v + d < x.size() ? x[v + d] : 0.0) - static_cast<double>(static_cast<float>(bk.q[k * D + d]) * bk.scale);
              dist += diff * diff;
            }
            best = std::min(best, dist);
          }
          if (v + D <= x.size()) {
            EXPECT_LE(got, best * (1 + 1e-12) + 1e-300) << t->name << " vector at " << v;
          }
        }
      }
    }
}

// Values already on known codebooks (as GPTVQ writes them) pack against those codebooks and unpack bit for bit.
TEST(VqFormat, PackRowsWithGivenCodebooksRoundTrips) {
  for (const FormatTraits* t : vq_rows()) {
    const int rows = 3, cols = 40, block = 16;
    const auto x = test::random_blocks(static_cast<std::size_t>(rows) * cols, 40, 9, -3, 3);
    std::vector<float> q(x.size());
    std::vector<std::uint8_t> scales;
    const std::size_t sb = static_cast<std::size_t>(t->scale_bits() / 8);
    for (int r = 0; r < rows; ++r) {
      const auto row = std::span(x).subspan(static_cast<std::size_t>(r) * cols, cols);
      const PackedTensor p = encode_ref(t->id, row, {.block = block});
      decode(p, std::span(q).subspan(static_cast<std::size_t>(r) * cols, cols));
      for (std::size_t b = 0; b < p.block_count(); ++b)
        scales.insert(scales.end(), p.bytes.begin() + b * t->block_bytes(block), p.bytes.begin() + b * t->block_bytes(block) + sb);
    }
    const auto bytes = pack_rows(t->id, block, q, rows, cols, scales);
    EXPECT_EQ(bytes.size(), rows * packed_row_bytes(t->id, block, cols));
    EXPECT_TRUE(test::bit_equal(unpack_rows(t->id, block, bytes, rows, cols), q)) << t->name;
    std::vector<float> off = q;
    off[7] = std::nextafter(off[7], 1e30f);  // not a codeword value
    EXPECT_THROW(pack_rows(t->id, block, off, rows, cols, scales), std::invalid_argument) << t->name;
  }
}

// The exact block value of VQ weights with MXINT8 / MXINT4 activations equals sum_i a_i w_i in double, w_i = q_i s
// read from the layout (exact here: a_i = k 2^e and w_i = q s with |k|, |q| <= 127 and s an FP32 value share their
// block's scales, so every product and the sum of 32 fit in 53 bits); the exact GEMM equals its reference (every
// block pair rounded once into the accumulator). VQ x every format against the rational oracle: exact_dot_test.cpp.
TEST(VqFormat, ExactDotEqualsDoubleOracle) {
  for (const FormatTraits* t : vq_rows())
    for (Format act : {Format::mxint8, Format::mxint4})
      for (std::uint32_t seed = 0; seed < 4; ++seed) {
        const int n = 32;
        const auto xa = test::random_blocks(n, 32, seed, -6, 6), xw = test::random_blocks(n, 32, 50 + seed, -6, 6);
        const PackedTensor pa = encode_ref(act, xa, {.block = n}), pw = encode_ref(t->id, xw, {.block = n});
        const std::vector<float> a = decode(pa);  // MX: exact (power-of-two scales)
        const Book bk = book_of(*t, pw.bytes.data());
        std::vector<std::uint8_t> ca(n), cw(n);
        for (int i = 0; i < n; ++i) {
          ca[i] = static_cast<std::uint8_t>(traits(act).lane_code(pa.bytes.data(), i));
          cw[i] = static_cast<std::uint8_t>(t->lane_code(pw.bytes.data(), i));
        }
        const ExactValue v = block_value(block_operand(traits(act), pa.bytes.data(), ca), block_operand(*t, pw.bytes.data(), cw));
        double want = 0;
        for (int i = 0; i < n; ++i) {
          const std::uint32_t k = get_code(pw.bytes.data() + t->scale_bits() / 8, t->vq_bits * t->vq_dim, i / t->vq_dim);
          want += static_cast<double>(a[i]) * (static_cast<double>(bk.q[k * t->vq_dim + i % t->vq_dim]) * bk.scale);
        }
        ASSERT_FALSE(v.nan || v.inf);
        const double got = std::ldexp(static_cast<double>(v.mag), v.exp) * (v.neg ? -1 : 1);
        EXPECT_EQ(got, want) << t->name << " x " << traits(act).name << " seed " << seed;
      }
  const int M = 2, N = 3, K = 96;
  for (const FormatTraits* t : vq_rows())
    for (Format act : {Format::mxint8, Format::int8, Format::mxfp8_e4m3, Format::nvfp4})
      for (const char* acc : {"fp32", "bf16"}) {
        const auto xa = test::random_blocks(M * K, 32, 3, -5, 5), xw = test::random_blocks(N * K, 32, 4, -5, 5);
        std::vector<PackedTensor> ra, rw;
        for (int r = 0; r < M; ++r) ra.push_back(encode_ref(act, std::span(xa).subspan(r * K, K)));
        for (int r = 0; r < N; ++r) rw.push_back(encode_ref(t->id, std::span(xw).subspan(r * K, K), {.block = 48}));
        std::vector<float> want(M * N), got(M * N);
        exact_gemm_ref(ra, rw, AccFormat::parse(acc), want);
        exact_gemm(ExactMatrix::quantize(act, {}, xa, M, K), ExactMatrix::quantize(t->id, {.block = 48}, xw, N, K),
                   AccFormat::parse(acc), got);
        EXPECT_TRUE(test::bit_equal(got, want)) << t->name << " x " << traits(act).name << " acc " << acc;
      }
}

TEST(VqFormat, SpecialsAndErrors) {
  std::vector<float> x(64, 0.5f);
  x[3] = NAN;  // a NaN in a block makes it NaN
  const std::vector<float> y = decode(encode_ref(Format::vq2_d2, x, {.block = 32}));
  for (int i = 0; i < 32; ++i) EXPECT_TRUE(std::isnan(y[i])) << i;
  EXPECT_NEAR(y[40], 0.5f, 1e-6);  // the next block is not
  const std::vector<float> z(8, 0.0f);  // an all-zero block: scale 0, zeros
  for (float v : decode(encode_ref(Format::vq3_d2, z))) EXPECT_EQ(v, 0.0f);
  try {
    fake_quantize(Format::vq2_d2, x, x, {.block = 7});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of its vector dimension 2"), std::string::npos) << e.what();
  }
  const BlockQuantizer q(Format::vq3_d1, z);
  EXPECT_EQ(q.scale_bytes().size(), static_cast<std::size_t>(traits(Format::vq3_d1).scale_bits() / 8));
  EXPECT_THROW((void)q.quantize(0.5f), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab
