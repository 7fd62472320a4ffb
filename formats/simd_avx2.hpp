// AVX2 building blocks shared by the fast fake-quantization paths of every family (MX, NVFP4, INT/FP per group,
// asymmetric INT): rounding float32 magnitudes onto an element grid per rounding mode (the same float32 steps as
// the reference's round_magnitude, every one exact), the stochastic draw, block statistics, and the block driver
// (OpenMP over blocks; per-block constants prepared ahead; streaming stores for outputs beyond the caches).
//
// A family's kernel K supplies:
//   K::Stats   a block statistic: add(__m256) per 8 values; a lane of +0 must not change it (masked tails load +0)
//   K::Lanes   the per-block constants the element step needs
//   bool prepare(const Stats&, Lanes&, float& fill) const   false: every output of the block is `fill` (NaN, 0)
//   __m256 quantize8(__m256 x, const Lanes&, std::uint32_t first_index) const   8 outputs; first_index = the flat
//              index of lane 0 (mod 2^32), which selects the stochastic draw: results never depend on threads
// Internal to formats/ (compiled with -march=x86-64-v3).
#pragma once
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

#include "formats/element.hpp"

namespace mxlab::simd {

inline float pow2f(int k) {  // 2^k for k in [-149, 127], exact (subnormal below -126)
  return k >= -126 ? std::bit_cast<float>(static_cast<std::uint32_t>(k + 127) << 23)
                   : std::bit_cast<float>(1u << (k + 149));
}

inline __m256i abs_bits(__m256 x) { return _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffffff)); }
inline constexpr std::uint32_t kInfBits = 0x7f800000u;  // |x| bit patterns >= this are Inf or NaN

inline std::uint32_t horizontal_max(__m256i v) {
  __m128i m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0xB1));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(m));
}
inline float horizontal_min_ps(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_shuffle_ps(m, m, 0x4E));
  return _mm_cvtss_f32(_mm_min_ps(m, _mm_shuffle_ps(m, m, 0xB1)));
}
inline float horizontal_max_ps(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, 0x4E));
  return _mm_cvtss_f32(_mm_max_ps(m, _mm_shuffle_ps(m, m, 0xB1)));
}

// Largest |x| as a bit pattern (the float order of non-negative floats is their integer order); Inf/NaN give
// patterns >= kInfBits. The statistic of the families whose scale comes from the block's amax.
struct AbsMax {
  __m256i m = _mm256_setzero_si256();
  void add(__m256 x) { m = _mm256_max_epu32(m, abs_bits(x)); }
  std::uint32_t bits() const { return horizontal_max(m); }
};

// Largest finite |x| of a whole tensor (codecs::nvfp4_tensor_scale's amax), over threads for large tensors.
inline float finite_amax(std::span<const float> x) {
  const std::size_t n = x.size(), n8 = n / 8 * 8;
  std::uint32_t best = 0;
#pragma omp parallel if (n >= (1u << 18))
  {
    __m256i m = _mm256_setzero_si256();
#pragma omp for schedule(static) nowait
    for (std::size_t i = 0; i < n8; i += 8) {
      const __m256i b = abs_bits(_mm256_loadu_ps(x.data() + i));
      m = _mm256_max_epu32(m, _mm256_and_si256(b, _mm256_cmpgt_epi32(_mm256_set1_epi32(kInfBits), b)));
    }
    const std::uint32_t mine = horizontal_max(m);
#pragma omp critical(mxlab_finite_amax)
    best = std::max(best, mine);
  }
  for (std::size_t i = n8; i < n; ++i) {
    const std::uint32_t b = std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu;
    if (b < kInfBits) best = std::max(best, b);
  }
  return std::bit_cast<float>(best);
}

// stochastic_u24(key, first_index + lane) (rounding.hpp) for 8 lanes, as floats (exact: < 2^24).
inline __m256 stochastic_u24x8(__m256i key, std::uint32_t first_index) {
  __m256i h = _mm256_xor_si256(
      _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(first_index)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), key);
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0x85ebca6bu)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
  h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0xc2b2ae35u)));
  h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
  return _mm256_cvtepi32_ps(_mm256_srli_epi32(h, 8));
}

// round_magnitude (rounding.hpp) of 8 non-negative float32 magnitudes r. Exact in float32: t = trunc(r) and
// f = r - t (f's bits are a subset of r's), f * 2^24 is a power-of-two scaling, t + 1 is exact where f > 0
// (r < 2^24); r >= 2^24 is an integer and stays as it is.
template <Round R>
__m256 round_magnitude8(__m256 r, __m256i key, std::uint32_t first_index) {
  if constexpr (R == Round::even) return _mm256_round_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  if constexpr (R == Round::floor) return _mm256_round_ps(r, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 t = _mm256_round_ps(r, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256 up;
  if constexpr (R == Round::nearest) {
    up = _mm256_cmp_ps(_mm256_sub_ps(r, t), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  } else {  // stochastic: up iff stochastic_u24(key, index) < floor(frac * 2^24)
    const __m256 thr = _mm256_floor_ps(_mm256_mul_ps(_mm256_sub_ps(r, t), _mm256_set1_ps(16777216.0f)));
    up = _mm256_cmp_ps(stochastic_u24x8(key, first_index), thr, _CMP_LT_OQ);
  }
  return _mm256_add_ps(t, _mm256_and_ps(up, _mm256_set1_ps(1.0f)));
}

// An element type's grid: FP elements step by 2^(max(exponent, emin) - M) and saturate at max_normal; INT
// elements step by 1. Exponents are kept biased (+127), as in the float32 bit pattern.
struct Grid {
  __m256i emin_biased, to_step_bias, mbits;  // emin + 127, 254 + M, M
  __m256 max_normal;
};
inline Grid grid_of(const ElemSpec& e) {
  return {_mm256_set1_epi32(e.emin + 127), _mm256_set1_epi32(254 + e.mbits), _mm256_set1_epi32(e.mbits),
          _mm256_set1_ps(static_cast<float>(e.max_normal))};
}

// The element magnitude encode_elem_ref gives for the float32 magnitude v >= 0 (+Inf allowed), saturating.
// INT (encode_int): q = min(round(v), max_normal).
// FP (encode_fp), with exponents biased by 127:
//   v' = min(v, 2^100)               every v >= 2^100 saturates (all max normals are < 2^16); keeps steps normal
//   b = max(exponent bits of v', emin + 127)
//   r = v' * 2^(M - e)               = v' * bits((254 + M - b) << 23): a power-of-two scaling, exact (>= 2^-27)
//   n = round(r)                     q = min(n * 2^(e - M), max_normal), 2^(e - M) = bits((b - M) << 23)
template <Round R, bool Int>
__m256 round_to_grid(__m256 v, const Grid& g, __m256i key, std::uint32_t first_index) {
  if constexpr (Int) {  // round(v) >= max_normal saturates for every mode, also v = Inf (r - t is NaN: no step up)
    return _mm256_min_ps(round_magnitude8<R>(v, key, first_index), g.max_normal);
  } else {
    v = _mm256_min_ps(v, _mm256_set1_ps(0x1p100f));
    const __m256i b = _mm256_max_epi32(_mm256_srli_epi32(_mm256_castps_si256(v), 23), g.emin_biased);
    const __m256 to_step = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(g.to_step_bias, b), 23));
    const __m256 from_step = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_sub_epi32(b, g.mbits), 23));
    const __m256 n = round_magnitude8<R>(_mm256_mul_ps(v, to_step), key, first_index);
    return _mm256_min_ps(_mm256_mul_ps(n, from_step), g.max_normal);
  }
}

// The decoded magnitude `mag` of q with x's sign: FP elements keep -0; two's complement integers have no -0, so
// a zero q is +0.
template <bool Int>
__m256 with_sign_of(__m256 mag, __m256 x, __m256 q) {
  const __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  if constexpr (!Int) return _mm256_or_ps(mag, sign);
  return _mm256_or_ps(mag, _mm256_and_ps(sign, _mm256_cmp_ps(q, _mm256_setzero_ps(), _CMP_NEQ_OQ)));
}
inline __m256 magnitude(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }

// Streaming (non-temporal) stores for outputs far larger than the caches, as memcpy does: the output is not
// read for the ownership transfer. Needs 16-byte aligned 8-lane groups (malloc alignment, block % 4 == 0).
inline void store8(float* y, __m256 v, bool stream) {
  if (!stream) return _mm256_storeu_ps(y, v);
  _mm_stream_ps(y, _mm256_castps256_ps128(v));
  _mm_stream_ps(y + 4, _mm256_extractf128_ps(v, 1));
}
inline __m256i tail_mask(std::size_t left) {  // lanes [0, left) of 8
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(left)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// `count` consecutive blocks of 8 * V values: each block's statistic and constants are prepared kAhead blocks
// before its elements are quantized, so that the long scalar chain of a block (horizontal max, division) overlaps
// the element work of the blocks before it; the element step re-reads the values (from L1). Prefetches 2 KiB ahead.
template <int V, class K>
void quantize_run(const K& k, const float* x, float* y, std::size_t count, std::uint32_t first_index, bool stream) {
  constexpr std::size_t kAhead = 2, kRing = 4;
  struct Prepared {
    typename K::Lanes c{};
    float fill = 0;
    bool ok = false;
  };
  Prepared ring[kRing];
  const auto prepare = [&](std::size_t b) {
    const float* xb = x + b * 8 * V;
    for (int j = 0; j < 8 * V; j += 16) _mm_prefetch(reinterpret_cast<const char*>(xb + 512 + j), _MM_HINT_T0);
    typename K::Stats st;
    for (int j = 0; j < V; ++j) st.add(_mm256_loadu_ps(xb + 8 * j));
    Prepared& p = ring[b % kRing];
    p.ok = k.prepare(st, p.c, p.fill);
  };
  for (std::size_t b = 0; b < std::min(kAhead, count); ++b) prepare(b);
  for (std::size_t b = 0; b < count; ++b) {
    if (b + kAhead < count) prepare(b + kAhead);  // block b + kAhead is disjoint from block b: in place is fine
    const Prepared& p = ring[b % kRing];
    const float* xb = x + b * 8 * V;
    float* yb = y + b * 8 * V;
    const auto idx = first_index + static_cast<std::uint32_t>(b * 8 * V);
    for (int j = 0; j < V; ++j)
      store8(yb + 8 * j, p.ok ? k.quantize8(_mm256_loadu_ps(xb + 8 * j), p.c, idx + 8 * j) : _mm256_set1_ps(p.fill),
             stream);
  }
}

// A block of any length: statistic, then quantization (reads each x before writing its y: in place is fine).
template <class K>
void quantize_any(const K& k, const float* x, float* y, std::size_t len, std::uint32_t first_index, bool stream) {
  typename K::Stats st;
  std::size_t i = 0;
  for (; i + 8 <= len; i += 8) st.add(_mm256_loadu_ps(x + i));
  if (i < len) st.add(_mm256_maskload_ps(x + i, tail_mask(len - i)));
  typename K::Lanes c{};
  float fill = 0;
  const bool ok = k.prepare(st, c, fill);
  const auto at = [&](std::size_t j) { return first_index + static_cast<std::uint32_t>(j); };
  for (i = 0; i + 8 <= len; i += 8)
    store8(y + i, ok ? k.quantize8(_mm256_loadu_ps(x + i), c, at(i)) : _mm256_set1_ps(fill), stream);
  if (i < len) {
    const __m256i mask = tail_mask(len - i);
    _mm256_maskstore_ps(y + i, mask, ok ? k.quantize8(_mm256_maskload_ps(x + i, mask), c, at(i)) : _mm256_set1_ps(fill));
  }
}

// Every block of `in` (consecutive runs of `block` values, the last one possibly short) through kernel k.
// Blocks are independent, so threads (OpenMP, tensors of >= 2^18 values) give the same bits as one thread.
template <class K>
void quantize_blocks(const K& k, std::span<const float> in, std::span<float> out, std::size_t block,
                     std::size_t index_base) {
  const std::size_t n = in.size(), nb = (n + block - 1) / block;
  const bool stream = n >= (4u << 20) && block % 4 == 0 && reinterpret_cast<std::uintptr_t>(out.data()) % 16 == 0 &&
                      in.data() != out.data();
#pragma omp parallel if (n >= (1u << 18))
  {
    const K local = k;  // a copy the stores cannot alias: its constants stay in registers
    // Static partition of the complete blocks: thread t takes blocks [full * t / nt, full * (t + 1) / nt).
    const auto nt = static_cast<std::size_t>(omp_get_num_threads()), t = static_cast<std::size_t>(omp_get_thread_num());
    const std::size_t full = n / block, b0 = full * t / nt, b1 = full * (t + 1) / nt;
    const float* x = in.data() + b0 * block;
    float* y = out.data() + b0 * block;
    const auto idx = static_cast<std::uint32_t>(index_base + b0 * block);
    if (block == 32) quantize_run<4>(local, x, y, b1 - b0, idx, stream);
    else if (block == 16) quantize_run<2>(local, x, y, b1 - b0, idx, stream);
    else
      for (std::size_t b = 0; b < b1 - b0; ++b)
        quantize_any(local, x + b * block, y + b * block, block, idx + static_cast<std::uint32_t>(b * block), stream);
    if (t + 1 == nt && full < nb)  // the short last block
      quantize_any(local, in.data() + full * block, out.data() + full * block, n - full * block,
                   static_cast<std::uint32_t>(index_base + full * block), stream);
    if (stream) _mm_sfence();  // each thread orders its own streaming stores before the region ends
  }
}

// Calls f(std::integral_constant<Round, mode>) for the run-time mode: one compiled kernel per rounding mode.
template <class F>
void dispatch_round(Round r, F&& f) {
  switch (r) {
    case Round::even: return f(std::integral_constant<Round, Round::even>{});
    case Round::nearest: return f(std::integral_constant<Round, Round::nearest>{});
    case Round::floor: return f(std::integral_constant<Round, Round::floor>{});
    case Round::stochastic: return f(std::integral_constant<Round, Round::stochastic>{});
  }
}

}  // namespace mxlab::simd
