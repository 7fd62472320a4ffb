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

// The conditions one operand must meet on its own (E8M0 scales, block size, element width, no NaN block, unit
// tensor scales); the scale exponents' range into `range`.
bool operand_covered(const ExactMatrix& m, int max_bits, IntBlockScales& range) {
  if (traits(m.format).scale != ScaleType::e8m0 || m.block % 4 != 0 || m.block > 256) return false;
  if (m.max_bits > max_bits || m.fixed16.empty()) return false;
  if (!std::all_of(m.tensor_scale.begin(), m.tensor_scale.end(), [](float g) { return g == 1.0f; })) return false;
  for (std::size_t i = 0; i < m.scale.size(); ++i) {
    if (m.nan[i]) return false;
    range.add(scale_log2(m.scale[i]));
  }
  return true;
}

}  // namespace

namespace {

// W's packed layout from per-row element and scale accessors: elem(n, k) in lsb units, scale(n, b) = 2^(X + lsb).
template <class Elem, class Scale>
IntBlockW pack_w(Format f, int rows, int cols, int block, IntBlockScales range, Elem elem, Scale scale) {
  IntBlockW p;
  const int nblk = (cols + block - 1) / block, lanes = int_block_gemm_vnni() ? 16 : 8;
  p.format = f, p.rows = rows, p.cols = cols, p.block = block, p.lanes = lanes, p.range = range;
  p.ntiles = (rows + lanes - 1) / lanes, p.nblk = nblk, p.Kp = nblk * block;
  p.w.assign(static_cast<std::size_t>(p.ntiles) * p.Kp * lanes, 0);
  p.sum128.assign(static_cast<std::size_t>(p.ntiles) * nblk * lanes, 0);
  p.scale.assign(p.sum128.size(), 0.0f);
#pragma omp parallel for schedule(static) if (static_cast<double>(rows) * cols > 1e5)
  for (int n = 0; n < rows; ++n) {
    const int t = n / lanes, lane = n % lanes;
    std::int8_t* dst = &p.w[static_cast<std::size_t>(t) * p.Kp * lanes + lane * 4];
    const std::size_t tb = static_cast<std::size_t>(t) * nblk * lanes + lane;
    for (int k = 0; k < cols; ++k) {
      const int v = elem(n, k);
      dst[(k / 4) * 4 * lanes + k % 4] = static_cast<std::int8_t>(v);
      p.sum128[tb + static_cast<std::size_t>(k / block) * lanes] += 128 * v;
    }
    for (int b = 0; b < nblk; ++b) p.scale[tb + static_cast<std::size_t>(b) * lanes] = scale(n, b);
  }
  return p;
}

}  // namespace

std::optional<IntBlockW> pack_int_block_weights(const ExactMatrix& w) {
  IntBlockScales range;
  if (!operand_covered(w, 6, range)) return std::nullopt;
  const int K = w.cols, nblk = w.blocks_per_row();
  return pack_w(
      w.format, w.rows, K, w.block, range, [&](int n, int k) { return w.fixed16[static_cast<std::size_t>(n) * K + k]; },
      [&](int n, int b) { return static_cast<float>(w.scale[static_cast<std::size_t>(n) * nblk + b]); });
}

std::optional<IntBlockW> pack_int_block_weights(const IntBlockA& e) {
  if (std::any_of(e.a.begin(), e.a.end(), [](std::uint8_t u) { return u < 128 - 63 || u > 128 + 63; })) return std::nullopt;
  const int nblk = e.Kp / std::max(e.block, 1);
  return pack_w(
      e.format, e.rows, e.cols, e.block, e.range,
      [&](int n, int k) { return static_cast<int>(e.a[static_cast<std::size_t>(n) * e.Kp + k]) - 128; },
      [&](int n, int b) { return e.scale[static_cast<std::size_t>(n) * nblk + b]; });
}

std::optional<IntBlockA> pack_int_block_acts(const ExactMatrix& a) {
  IntBlockA p;
  if (!operand_covered(a, 7, p.range)) return std::nullopt;
  const int K = a.cols, nblk = a.blocks_per_row();
  p.format = a.format, p.rows = a.rows, p.cols = K, p.block = a.block, p.Kp = nblk * a.block;
  p.a.assign(static_cast<std::size_t>(a.rows) * p.Kp, 128);
  p.scale.assign(a.scale.begin(), a.scale.end());  // powers of two in float's range (checked by the caller)
#pragma omp parallel for schedule(static) if (static_cast<double>(a.rows) * K > 1e5)
  for (int m = 0; m < a.rows; ++m) {
    const std::int16_t* src = &a.fixed16[static_cast<std::size_t>(m) * K];
    std::uint8_t* dst = &p.a[static_cast<std::size_t>(m) * p.Kp];
    for (int k = 0; k < K; ++k) dst[k] = static_cast<std::uint8_t>(src[k] + 128);
  }
  return p;
}

bool int_block_gemm_supports(const IntBlockA& a, const IntBlockW& w, const AccFormat& acc) {
  if (!(acc == AccFormat{})) return false;  // FP32
  if (a.block != w.block || a.cols != w.cols) return false;
  if (a.range.lo > a.range.hi || w.range.lo > w.range.hi) return true;  // an empty operand
  return a.range.lo + w.range.lo >= -149 && a.range.hi + w.range.hi <= 105;
}

bool int_block_gemm_supports(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc) {
  IntBlockScales ra, rw;
  if (!operand_covered(a, 7, ra) || !operand_covered(w, 6, rw)) return false;
  IntBlockA sa;
  IntBlockW sw;
  sa.block = a.block, sa.cols = a.cols, sa.range = ra, sw.block = w.block, sw.cols = w.cols, sw.range = rw;
  return int_block_gemm_supports(sa, sw, acc);
}

namespace {

struct Job {
  const IntBlockA& a;
  const IntBlockW& w;
  float* out;
};

// Rows m0 .. m0 + kRows - 1 of A (a short last tile repeats its last row; those results are not stored).
template <int kRows>
void tile_rows(const Job& j, int m0, const std::uint8_t* (&arow)[kRows], const float* (&ascale)[kRows]) {
  const int mr = std::min(kRows, j.a.rows - m0);
  for (int i = 0; i < kRows; ++i) {
    const int m = m0 + std::min(i, mr - 1);
    arow[i] = j.a.a.data() + static_cast<std::size_t>(m) * j.w.Kp;
    ascale[i] = &j.a.scale[static_cast<std::size_t>(m) * j.w.nblk];
  }
}

void store(const Job& j, int m0, int mr, int t, int i, const float* o) {
  if (i >= mr) return;
  const int nr = std::min(j.w.lanes, j.w.rows - t * j.w.lanes);
  std::copy_n(o, nr, j.out + static_cast<std::size_t>(m0 + i) * j.w.rows + t * j.w.lanes);
}

// AVX2: 8 lanes; vpmaddubsw ((a + 128) x w pairs, |.| <= 2 * 255 * 63 < 2^15) then vpmaddwd by 1.
void kernel_avx2(const Job& j, int m0, int t0, int t1) {
  constexpr int kRows = 4;
  const std::uint8_t* arow[kRows];
  const float* ascale[kRows];
  tile_rows(j, m0, arow, ascale);
  const int mr = std::min(kRows, j.a.rows - m0), steps = j.w.block / 4;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int t = t0; t < t1; ++t) {
    const std::int8_t* wt = &j.w.w[static_cast<std::size_t>(t) * j.w.Kp * 8];
    __m256 facc[kRows];
    for (auto& f : facc) f = _mm256_setzero_ps();
    for (int b = 0; b < j.w.nblk; ++b) {
      const std::size_t tb = (static_cast<std::size_t>(t) * j.w.nblk + b) * 8;
      const __m256i corr = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(&j.w.sum128[tb]));
      __m256i iacc[kRows];
      for (auto& v : iacc) v = _mm256_sub_epi32(_mm256_setzero_si256(), corr);  // -128 sum w: the offset of A
      for (int s = 0, k = b * j.w.block; s < steps; ++s, k += 4) {
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
        const __m256 scale = _mm256_mul_ps(ws, _mm256_set1_ps(ascale[i][b]));
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
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void kernel_vnni(const Job& j, int m0, int t0, int t1) {
  constexpr int kRows = 8;
  const std::uint8_t* arow[kRows];
  const float* ascale[kRows];
  tile_rows(j, m0, arow, ascale);
  const int mr = std::min(kRows, j.a.rows - m0), steps = j.w.block / 4;
  for (int t = t0; t < t1; ++t) {
    const std::int8_t* wt = &j.w.w[static_cast<std::size_t>(t) * j.w.Kp * 16];
    __m512 facc[kRows];
    for (auto& f : facc) f = _mm512_setzero_ps();
    for (int b = 0; b < j.w.nblk; ++b) {
      const std::size_t tb = (static_cast<std::size_t>(t) * j.w.nblk + b) * 16;
      const __m512i corr = _mm512_loadu_si512(&j.w.sum128[tb]);
      __m512i iacc[kRows];
      for (auto& v : iacc) v = _mm512_sub_epi32(_mm512_setzero_si512(), corr);
      for (int s = 0, k = b * j.w.block; s < steps; ++s, k += 4) {
        const __m512i wv = _mm512_loadu_si512(wt + static_cast<std::size_t>(k) * 16);
        for (int i = 0; i < kRows; ++i) {
          std::int32_t a4;
          std::memcpy(&a4, arow[i] + k, 4);
          iacc[i] = _mm512_dpbusd_epi32(iacc[i], _mm512_set1_epi32(a4), wv);
        }
      }
      const __m512 ws = _mm512_loadu_ps(&j.w.scale[tb]);
      for (int i = 0; i < kRows; ++i) {
        const __m512 scale = _mm512_mul_ps(ws, _mm512_set1_ps(ascale[i][b]));
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

void int_block_gemm(const IntBlockA& a, const IntBlockW& w, const AccFormat& acc, std::span<float> out) {
  if (!int_block_gemm_supports(a, w, acc))
    throw std::invalid_argument("int_block_gemm: operands " + std::string(traits(a.format).name) + " x " +
                                traits(w.format).name + " are not covered (use exact_gemm)");
  if (out.size() != static_cast<std::size_t>(a.rows) * w.rows || a.Kp != w.Kp)
    throw std::invalid_argument("int_block_gemm: output size is not A rows x W rows");
  const Job job{a, w, out.data()};
  const bool vnni = w.lanes == 16;  // the kernel the weights were packed for
  const int rows_per_tile = vnni ? 8 : 4, mtiles = (a.rows + rows_per_tile - 1) / rows_per_tile;
  // Weight tiles in chunks of about 512 KiB (half this class of CPU's per-core L2), every row of A against one
  // chunk before the next: W is read from memory once per GEMM, not once per tile of A rows.
  const int chunk = std::max(1, static_cast<int>((std::size_t{512} << 10) / (static_cast<std::size_t>(w.Kp) * w.lanes)));
  for (int t0 = 0; t0 < w.ntiles; t0 += chunk) {
    const int t1 = std::min(w.ntiles, t0 + chunk);
#pragma omp parallel for schedule(dynamic, 2) if (mtiles > 1 && static_cast<double>(a.rows) * w.rows * a.cols > 1e6)
    for (int mt = 0; mt < mtiles; ++mt) {
      if (vnni) kernel_vnni(job, mt * rows_per_tile, t0, t1);
      else kernel_avx2(job, mt * rows_per_tile, t0, t1);
    }
  }
}

void int_block_gemm(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out) {
  const std::optional<IntBlockA> pa = pack_int_block_acts(a);
  const std::optional<IntBlockW> pw = pack_int_block_weights(w);
  if (!pa || !pw || !int_block_gemm_supports(*pa, *pw, acc))
    throw std::invalid_argument("int_block_gemm: operands " + std::string(traits(a.format).name) + " x " +
                                traits(w.format).name + " are not covered (use exact_gemm)");
  int_block_gemm(*pa, *pw, acc, out);
}

void exact_gemm_fast(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out) {
  if (int_block_gemm_supports(a, w, acc)) int_block_gemm(a, w, acc, out);
  else exact_gemm(a, w, acc, out);
}

}  // namespace mxlab
