// Integer block GEMM (formats/int_block_gemm.hpp). W is repacked so that each 32-bit lane of a vector holds 4
// consecutive elements of one of 8 weight rows; A's 4 elements are broadcast, so vpmaddubsw + vpmaddwd leave
// each lane with its own output's partial dot: after one block, lane j holds the exact block sum of output j,
// with no horizontal reduction. A is stored offset by +128 (u8); sum (a + 128) w - 128 sum w = sum a w exactly.
// Built with -ffp-contract=off (formats/CMakeLists.txt) like exact_gemm.cpp.
#include "formats/int_block_gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace mxlab {
namespace {

int scale_log2(double s) { return std::ilogb(s); }  // E8M0 scale times 2^lsb: a power of two

struct Range {
  int lo = 1 << 20, hi = -(1 << 20);
  bool nan = false;
};
Range scale_range(const ExactMatrix& m) {
  Range r;
  for (std::size_t i = 0; i < m.scale.size(); ++i) {
    if (m.nan[i]) { r.nan = true; continue; }
    const int e = scale_log2(m.scale[i]);
    r.lo = std::min(r.lo, e), r.hi = std::max(r.hi, e);
  }
  return r;
}

bool unit_tensor_scales(const ExactMatrix& m) {
  return std::all_of(m.tensor_scale.begin(), m.tensor_scale.end(), [](float g) { return g == 1.0f; });
}

}  // namespace

bool int_block_gemm_supports(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc) {
  if (!(acc == AccFormat{})) return false;  // FP32
  if (traits(a.format).scale != ScaleType::e8m0 || traits(w.format).scale != ScaleType::e8m0) return false;
  if (a.block != w.block || a.block % 4 != 0 || a.block > 256 || a.cols != w.cols) return false;
  if (a.max_bits > 7 || w.max_bits > 6 || a.fixed16.empty() || w.fixed16.empty()) return false;
  if (!unit_tensor_scales(a) || !unit_tensor_scales(w)) return false;
  const Range ra = scale_range(a), rw = scale_range(w);
  if (ra.nan || rw.nan) return false;
  if (a.scale.empty() || w.scale.empty()) return true;
  return ra.lo + rw.lo >= -149 && ra.hi + rw.hi <= 105;
}

namespace {

// W repacked for L-lane vectors: [tile of L rows][k / 4][lane][4 bytes], K padded to whole blocks with zeros;
// per tile and block, 128 * (sum of the block) and the block scale, in lane order.
struct PackedW {
  int lanes, ntiles, nblk, Kp;
  std::vector<std::int8_t> w;
  std::vector<std::int32_t> sum128;
  std::vector<float> scale;
};
PackedW pack_w(const ExactMatrix& w, int lanes) {
  const int K = w.cols, B = w.block, nblk = w.blocks_per_row();
  PackedW p{lanes, (w.rows + lanes - 1) / lanes, nblk, nblk * B, {}, {}, {}};
  p.w.assign(static_cast<std::size_t>(p.ntiles) * p.Kp * lanes, 0);
  p.sum128.assign(static_cast<std::size_t>(p.ntiles) * nblk * lanes, 0);
  p.scale.assign(p.sum128.size(), 0.0f);
#pragma omp parallel for schedule(static) if (static_cast<double>(w.rows) * K > 1e5)
  for (int n = 0; n < w.rows; ++n) {
    const int t = n / lanes, lane = n % lanes;
    const std::int16_t* src = &w.fixed16[static_cast<std::size_t>(n) * K];  // max_bits <= 6: fixed16 is held
    std::int8_t* dst = &p.w[static_cast<std::size_t>(t) * p.Kp * lanes + lane * 4];
    const std::size_t tb = static_cast<std::size_t>(t) * nblk * lanes + lane;
    for (int k = 0; k < K; ++k) {
      dst[(k / 4) * 4 * lanes + k % 4] = static_cast<std::int8_t>(src[k]);
      p.sum128[tb + static_cast<std::size_t>(k / B) * lanes] += 128 * src[k];
    }
    for (int b = 0; b < nblk; ++b)
      p.scale[tb + static_cast<std::size_t>(b) * lanes] = static_cast<float>(w.scale[static_cast<std::size_t>(n) * nblk + b]);
  }
  return p;
}

// A: u8 = a + 128, rows padded to Kp with a = 0 (u8 128: W's padding is 0, so it adds nothing).
std::vector<std::uint8_t> pack_a(const ExactMatrix& a, int Kp) {
  const int K = a.cols;
  std::vector<std::uint8_t> ap(static_cast<std::size_t>(a.rows) * Kp, 128);
#pragma omp parallel for schedule(static) if (static_cast<double>(a.rows) * K > 1e5)
  for (int m = 0; m < a.rows; ++m) {
    const std::int16_t* src = &a.fixed16[static_cast<std::size_t>(m) * K];  // max_bits <= 7: fixed16 is held
    std::uint8_t* dst = &ap[static_cast<std::size_t>(m) * Kp];
    for (int k = 0; k < K; ++k) dst[k] = static_cast<std::uint8_t>(src[k] + 128);
  }
  return ap;
}

struct Job {
  const ExactMatrix& a;
  const PackedW& w;
  const std::uint8_t* ap;
  int block, wrows;
  float* out;
};

// Rows m0 .. m0 + kRows - 1 of A (a short last tile repeats its last row; those results are not stored).
template <int kRows>
void tile_rows(const Job& j, int m0, const std::uint8_t* (&arow)[kRows], const double* (&ascale)[kRows]) {
  const int mr = std::min(kRows, j.a.rows - m0);
  for (int i = 0; i < kRows; ++i) {
    const int m = m0 + std::min(i, mr - 1);
    arow[i] = j.ap + static_cast<std::size_t>(m) * j.w.Kp;
    ascale[i] = &j.a.scale[static_cast<std::size_t>(m) * j.w.nblk];
  }
}

void store(const Job& j, int m0, int mr, int t, int i, const float* o) {
  if (i >= mr) return;
  const int nr = std::min(j.w.lanes, j.wrows - t * j.w.lanes);
  std::copy_n(o, nr, j.out + static_cast<std::size_t>(m0 + i) * j.wrows + t * j.w.lanes);
}

// AVX2: 8 lanes; vpmaddubsw ((a + 128) x w pairs, |.| <= 2 * 255 * 63 < 2^15) then vpmaddwd by 1.
void kernel_avx2(const Job& j, int m0) {
  constexpr int kRows = 4;
  const std::uint8_t* arow[kRows];
  const double* ascale[kRows];
  tile_rows(j, m0, arow, ascale);
  const int mr = std::min(kRows, j.a.rows - m0), steps = j.block / 4;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int t = 0; t < j.w.ntiles; ++t) {
    const std::int8_t* wt = &j.w.w[static_cast<std::size_t>(t) * j.w.Kp * 8];
    __m256 facc[kRows];
    for (auto& f : facc) f = _mm256_setzero_ps();
    for (int b = 0; b < j.w.nblk; ++b) {
      const std::size_t tb = (static_cast<std::size_t>(t) * j.w.nblk + b) * 8;
      const __m256i corr = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&j.w.sum128[tb]));
      __m256i iacc[kRows];
      for (auto& v : iacc) v = _mm256_sub_epi32(_mm256_setzero_si256(), corr);  // -128 sum w: the offset of A
      for (int s = 0, k = b * j.block; s < steps; ++s, k += 4) {
        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wt + static_cast<std::size_t>(k) * 8));
        for (int i = 0; i < kRows; ++i) {
          std::int32_t a4;
          std::memcpy(&a4, arow[i] + k, 4);
          iacc[i] = _mm256_add_epi32(iacc[i], _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi32(a4), wv), ones));
        }
      }
      const __m256 ws = _mm256_loadu_ps(&j.w.scale[tb]);
      for (int i = 0; i < kRows; ++i) {
        // sum * scale is exact (an integer below 2^22 times a power of two in range), so the fused multiply-add
        // rounds once: RNE(acc + block value), the one rounding per block.
        const __m256 scale = _mm256_mul_ps(ws, _mm256_set1_ps(static_cast<float>(ascale[i][b])));
        facc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(iacc[i]), scale, facc[i]);
      }
    }
    for (int i = 0; i < kRows; ++i) {
      alignas(32) float o[8];
      _mm256_store_ps(o, facc[i]);
      store(j, m0, mr, t, i, o);
    }
  }
}

// AVX-512 VNNI (behind a CPU check): 16 lanes; vpdpbusd sums 4 u8 x s8 products into int32 without saturation.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void kernel_vnni(const Job& j, int m0) {
  constexpr int kRows = 8;
  const std::uint8_t* arow[kRows];
  const double* ascale[kRows];
  tile_rows(j, m0, arow, ascale);
  const int mr = std::min(kRows, j.a.rows - m0), steps = j.block / 4;
  for (int t = 0; t < j.w.ntiles; ++t) {
    const std::int8_t* wt = &j.w.w[static_cast<std::size_t>(t) * j.w.Kp * 16];
    __m512 facc[kRows];
    for (auto& f : facc) f = _mm512_setzero_ps();
    for (int b = 0; b < j.w.nblk; ++b) {
      const std::size_t tb = (static_cast<std::size_t>(t) * j.w.nblk + b) * 16;
      const __m512i corr = _mm512_loadu_si512(&j.w.sum128[tb]);
      __m512i iacc[kRows];
      for (auto& v : iacc) v = _mm512_sub_epi32(_mm512_setzero_si512(), corr);
      for (int s = 0, k = b * j.block; s < steps; ++s, k += 4) {
        const __m512i wv = _mm512_loadu_si512(wt + static_cast<std::size_t>(k) * 16);
        for (int i = 0; i < kRows; ++i) {
          std::int32_t a4;
          std::memcpy(&a4, arow[i] + k, 4);
          iacc[i] = _mm512_dpbusd_epi32(iacc[i], _mm512_set1_epi32(a4), wv);
        }
      }
      const __m512 ws = _mm512_loadu_ps(&j.w.scale[tb]);
      for (int i = 0; i < kRows; ++i) {
        const __m512 scale = _mm512_mul_ps(ws, _mm512_set1_ps(static_cast<float>(ascale[i][b])));
        facc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[i]), scale, facc[i]);
      }
    }
    for (int i = 0; i < kRows; ++i) {
      alignas(64) float o[16];
      _mm512_store_ps(o, facc[i]);
      store(j, m0, mr, t, i, o);
    }
  }
}

}  // namespace

bool int_block_gemm_vnni() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return has && !std::getenv("MXLAB_NO_AVX512");
}

void int_block_gemm(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out) {
  if (!int_block_gemm_supports(a, w, acc))
    throw std::invalid_argument("int_block_gemm: operands " + std::string(traits(a.format).name) + " x " +
                                traits(w.format).name + " are not covered (use exact_gemm)");
  if (out.size() != static_cast<std::size_t>(a.rows) * w.rows)
    throw std::invalid_argument("int_block_gemm: output size is not A rows x W rows");
  const bool vnni = int_block_gemm_vnni();
  const PackedW pw = pack_w(w, vnni ? 16 : 8);
  const std::vector<std::uint8_t> ap = pack_a(a, pw.Kp);
  const Job job{a, pw, ap.data(), a.block, w.rows, out.data()};
  const int rows_per_tile = vnni ? 8 : 4, mtiles = (a.rows + rows_per_tile - 1) / rows_per_tile;
#pragma omp parallel for schedule(dynamic, 2) if (mtiles > 1 && static_cast<double>(a.rows) * w.rows * a.cols > 1e6)
  for (int mt = 0; mt < mtiles; ++mt) {
    if (vnni) kernel_vnni(job, mt * rows_per_tile);
    else kernel_avx2(job, mt * rows_per_tile);
  }
}

void exact_gemm_fast(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out) {
  if (int_block_gemm_supports(a, w, acc)) int_block_gemm(a, w, acc, out);
  else exact_gemm(a, w, acc, out);
}

}  // namespace mxlab
