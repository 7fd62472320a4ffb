// Fast fake quantization: an AVX2 kernel for the OCP MX family, bit-exact with the reference codecs.
//
// Per block: amax from the integer view of |x| (NaN/Inf detected as exponent all ones), X from its exponent
// bits. Per element (float32, every step exact; see the notes at each line):
//   v = (|x| * 2^-X) * 2^frac        element-domain magnitude (exact, or < 2^-120 which rounds to 0 anyway)
//   e = max(exponent(v), emin)       INT elements use emin = M, i.e. a fixed step of 1
//   r = v * 2^(M - e)                magnitude in units of the element step (exact)
//   n = round(r)                     per rounding mode; q = min(n * 2^(e - M), max_normal)
//   out = sign | (q * 2^-frac) * 2^X (exact: every MX value is a float32)
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "formats/block_codecs.hpp"
#include "formats/packed.hpp"

namespace mxlab::codecs {

void fake_quant_by_reference(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                             const QuantConfig& cfg) {
  decode(encode_ref(t.id, in, cfg), out);
}

namespace {

float pow2f(int k) {  // 2^k for k in [-149, 127], exact (subnormal below -126)
  return k >= -126 ? std::bit_cast<float>(static_cast<std::uint32_t>(k + 127) << 23)
                   : std::bit_cast<float>(1u << (k + 149));
}

struct Kernel {
  int emin, mbits, frac_bits, scale_emax;
  float max_normal;
  std::uint32_t key;
};

// X from the largest |x| bit pattern m (finite): exponent bits, or the leading one of a float32 subnormal.
int exponent_of_amax(std::uint32_t m, int scale_emax) {
  if (m == 0) return -127;
  const int log2_amax = m >= 0x00800000u ? static_cast<int>(m >> 23) - 127 : (31 - std::countl_zero(m)) - 149;
  return std::clamp(log2_amax - scale_emax, -127, 127);
}

std::uint32_t horizontal_max(__m256i v) {
  __m128i m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0xB1));
  return static_cast<std::uint32_t>(_mm_cvtsi128_si32(m));
}

// Shared exponent X of a block from the largest |x| bit pattern; false when the block holds NaN/Inf.
bool shared_exponent(const float* x, std::size_t n, int scale_emax, int& X) {
  const __m256i absmask = _mm256_set1_epi32(0x7fffffff);
  __m256i vmax = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    vmax = _mm256_max_epu32(vmax, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), absmask));
  std::uint32_t m = horizontal_max(vmax);
  for (; i < n; ++i) m = std::max(m, std::bit_cast<std::uint32_t>(x[i]) & 0x7fffffffu);
  if (m >= 0x7f800000u) return false;
  X = exponent_of_amax(m, scale_emax);
  return true;
}

// The kernel's constants for one block, broadcast once.
struct Lanes {
  __m256 inv_scale, frac, inv_frac, scale, max_normal;  // 2^-X, 2^frac, 2^-frac, 2^X, max normal
  __m256i emin, mbits, key;
};

template <Round R>
__m256 round_lanes(__m256 r, const Lanes& c, std::uint32_t first_index) {
  if constexpr (R == Round::even) return _mm256_round_ps(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  if constexpr (R == Round::floor) return _mm256_round_ps(r, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 t = _mm256_round_ps(r, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256 up;
  if constexpr (R == Round::nearest) {
    up = _mm256_cmp_ps(_mm256_sub_ps(r, t), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  } else {  // stochastic: up iff stochastic_u24(key, index) < floor(frac * 2^24), in 8 lanes
    const __m256 thr = _mm256_floor_ps(_mm256_mul_ps(_mm256_sub_ps(r, t), _mm256_set1_ps(16777216.0f)));
    __m256i h = _mm256_xor_si256(_mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(first_index)),
                                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)), c.key);
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0x85ebca6bu)));
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 13));
    h = _mm256_mullo_epi32(h, _mm256_set1_epi32(static_cast<int>(0xc2b2ae35u)));
    h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 16));
    up = _mm256_cmp_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(h, 8)), thr, _CMP_LT_OQ);  // exact: < 2^24
  }
  return _mm256_add_ps(t, _mm256_and_ps(up, _mm256_set1_ps(1.0f)));
}

template <Round R, bool SignedZero>
__m256 quantize8(__m256 xs, const Lanes& c, std::uint32_t first_index) {
  const __m256 signbit = _mm256_set1_ps(-0.0f);
  const __m256 sign = _mm256_and_ps(xs, signbit);
  const __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_andnot_ps(signbit, xs), c.inv_scale), c.frac);
  // e = max(exponent(v), emin); 2^(M - e) and 2^(e - M) built from exponent bits.
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256i e = _mm256_max_epi32(_mm256_sub_epi32(_mm256_srli_epi32(_mm256_castps_si256(v), 23), bias), c.emin);
  const __m256 to_step = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(bias, _mm256_sub_epi32(c.mbits, e)), 23));
  const __m256 from_step = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(bias, _mm256_sub_epi32(e, c.mbits)), 23));
  const __m256 n = round_lanes<R>(_mm256_mul_ps(v, to_step), c, first_index);
  const __m256 q = _mm256_min_ps(_mm256_mul_ps(n, from_step), c.max_normal);
  const __m256 out = _mm256_mul_ps(_mm256_mul_ps(q, c.inv_frac), c.scale);
  if constexpr (SignedZero) return _mm256_or_ps(out, sign);
  return _mm256_or_ps(out, _mm256_and_ps(sign, _mm256_cmp_ps(q, _mm256_setzero_ps(), _CMP_NEQ_OQ)));
}

// Streaming (non-temporal) stores for outputs far larger than the caches, as memcpy does: the output is not
// read for the ownership transfer. Needs 16-byte aligned 8-lane groups (malloc alignment, block % 4 == 0).
inline void store8(float* y, __m256 v, bool stream) {
  if (!stream) return _mm256_storeu_ps(y, v);
  _mm_stream_ps(y, _mm256_castps256_ps128(v));
  _mm_stream_ps(y + 4, _mm256_extractf128_ps(v, 1));
}

Lanes lanes_for(int X, const Kernel& k) {
  return {_mm256_set1_ps(pow2f(-X)), _mm256_set1_ps(pow2f(k.frac_bits)), _mm256_set1_ps(pow2f(-k.frac_bits)),
          _mm256_set1_ps(pow2f(X)),  _mm256_set1_ps(k.max_normal),     _mm256_set1_epi32(k.emin),
          _mm256_set1_epi32(k.mbits), _mm256_set1_epi32(static_cast<int>(k.key))};
}

// The default block of 32: four vectors loaded once, amax and quantization from registers.
template <Round R, bool SignedZero>
void quantize_block32(const float* x, float* y, const Kernel& k, std::uint32_t first_index, bool stream) {
  _mm_prefetch(reinterpret_cast<const char*>(x + 512), _MM_HINT_T0);  // 2 KiB ahead: the next blocks' lines
  _mm_prefetch(reinterpret_cast<const char*>(x + 512 + 16), _MM_HINT_T0);
  __m256 v[4];
  __m256i vmax = _mm256_setzero_si256();
  for (int j = 0; j < 4; ++j) {
    v[j] = _mm256_loadu_ps(x + 8 * j);
    vmax = _mm256_max_epu32(vmax, _mm256_and_si256(_mm256_castps_si256(v[j]), _mm256_set1_epi32(0x7fffffff)));
  }
  const std::uint32_t m = horizontal_max(vmax);
  if (m >= 0x7f800000u) {
    for (int j = 0; j < 4; ++j) store8(y + 8 * j, _mm256_set1_ps(std::numeric_limits<float>::quiet_NaN()), stream);
    return;
  }
  const Lanes c = lanes_for(exponent_of_amax(m, k.scale_emax), k);
  for (int j = 0; j < 4; ++j)
    store8(y + 8 * j, quantize8<R, SignedZero>(v[j], c, first_index + 8 * j), stream);
}

template <Round R, bool SignedZero>
void quantize_block(const float* x, float* y, std::size_t len, int X, const Kernel& k, std::uint32_t first_index,
                    bool stream) {
  const Lanes c = lanes_for(X, k);
  std::size_t i = 0;
  for (; i + 8 <= len; i += 8)
    store8(y + i, quantize8<R, SignedZero>(_mm256_loadu_ps(x + i), c, first_index + static_cast<std::uint32_t>(i)), stream);
  if (i < len) {  // tail: masked load and store
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(len - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(y + i, mask, quantize8<R, SignedZero>(_mm256_maskload_ps(x + i, mask), c, first_index + static_cast<std::uint32_t>(i)));
  }
}

template <Round R, bool SignedZero>
void quantize_all(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg,
                  const Kernel& k) {
  const std::size_t block = static_cast<std::size_t>(resolve_block(t, cfg));
  const std::size_t n = in.size(), nb = (n + block - 1) / block;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const bool stream = n >= (4u << 20) && block % 4 == 0 && reinterpret_cast<std::uintptr_t>(out.data()) % 16 == 0 &&
                      in.data() != out.data();
#pragma omp parallel for schedule(static) if (n >= (1u << 18))
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t first = b * block, len = std::min(block, n - first);
    if (len == 32) {
      quantize_block32<R, SignedZero>(in.data() + first, out.data() + first, k,
                                      static_cast<std::uint32_t>(cfg.index_base + first), stream);
      continue;
    }
    int X;
    if (!shared_exponent(in.data() + first, len, k.scale_emax, X)) {
      std::fill_n(out.data() + first, len, nan);
      continue;
    }
    quantize_block<R, SignedZero>(in.data() + first, out.data() + first, len, X, k,
                                  static_cast<std::uint32_t>(cfg.index_base + first), stream);
  }
  if (stream) _mm_sfence();
}

template <bool SignedZero>
void dispatch_round(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg,
                    const Kernel& k) {
  switch (cfg.round) {
    case Round::even: return quantize_all<Round::even, SignedZero>(t, in, out, cfg, k);
    case Round::nearest: return quantize_all<Round::nearest, SignedZero>(t, in, out, cfg, k);
    case Round::floor: return quantize_all<Round::floor, SignedZero>(t, in, out, cfg, k);
    case Round::stochastic: return quantize_all<Round::stochastic, SignedZero>(t, in, out, cfg, k);
  }
}

}  // namespace

void fake_quant_fast_mx(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg) {
  const ElemSpec& e = t.element();
  const Kernel k{e.is_int ? e.mbits : e.emin, e.mbits, t.frac_bits, t.scale_emax(),
                 static_cast<float>(e.max_normal), stochastic_key(cfg.seed)};
  if (e.is_int) dispatch_round<false>(t, in, out, cfg, k);  // two's complement has no -0
  else dispatch_round<true>(t, in, out, cfg, k);
}

}  // namespace mxlab::codecs
