// Fast fake quantization of asymmetric INT-N per group (GPTQ's quantizer in float32), AVX2 (formats/simd_avx2.hpp),
// bit-exact with the reference codec: the same float32 operations, in the same order.
//
// Per block (scalar): lo = min(min x, 0), hi = max(max x, 0) (+0 lanes of a masked tail change neither), a NaN/Inf
// makes the block NaN; s = fl32(fl32(hi - lo) / maxq) (NaN when not finite, zeros when 0) and
// z = min(round_even(fl32(-lo / s)), maxq)                                           (codecs::asym_params)
// Per element (8 lanes): r = fl32(x / s), n = round(|r|), q = clamp(sign(r) n + z, 0, maxq) (small integers:
// exact in float32), out = fl32(s * (q - z)), the reference decoder's product.
#include <cmath>
#include <limits>

#include "formats/block_codecs.hpp"
#include "formats/simd_avx2.hpp"

namespace mxlab::codecs {
namespace {

template <Round R>
struct AsymKernel {
  struct Stats {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    simd::AbsMax special;  // Inf/NaN detection
    void add(__m256 x) {
      lo = _mm256_min_ps(x, lo);
      hi = _mm256_max_ps(x, hi);
      special.add(x);
    }
  };
  struct Lanes {
    __m256 s, z;
  };
  float maxq;
  __m256i key;

  bool prepare(const Stats& st, Lanes& c, float& fill) const {
    constexpr float nan = std::numeric_limits<float>::quiet_NaN();
    if (st.special.bits() >= simd::kInfBits) return fill = nan, false;
    const float lo = simd::horizontal_min_ps(st.lo), hi = simd::horizontal_max_ps(st.hi);
    const float s = (hi - lo) / maxq;
    if (!std::isfinite(s)) return fill = nan, false;  // a range beyond float32
    if (!(s > 0)) return fill = 0.0f, false;
    c = {_mm256_set1_ps(s), _mm256_set1_ps(std::min(std::nearbyint(-lo / s), maxq))};
    return true;
  }
  __m256 quantize8(__m256 x, const Lanes& c, std::uint32_t first_index) const {
    const __m256 r = _mm256_div_ps(x, c.s);
    const __m256 n = simd::round_magnitude8<R>(simd::magnitude(r), key, first_index);
    const __m256 signed_n = _mm256_or_ps(n, _mm256_and_ps(r, _mm256_set1_ps(-0.0f)));
    const __m256 q = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(signed_n, c.z), _mm256_setzero_ps()), _mm256_set1_ps(maxq));
    return _mm256_mul_ps(c.s, _mm256_sub_ps(q, c.z));
  }
};

}  // namespace

void fake_quant_fast_int_asym(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                              const QuantConfig& cfg) {
  const auto block = static_cast<std::size_t>(resolve_block(t, cfg));
  const auto maxq = static_cast<float>((1 << t.element().bits) - 1);
  const __m256i key = _mm256_set1_epi32(static_cast<int>(stochastic_key(cfg.seed)));
  simd::dispatch_round(cfg.round, [&](auto mode) {
    simd::quantize_blocks(AsymKernel<mode.value>{maxq, key}, in, out, block, cfg.index_base);
  });
}

}  // namespace mxlab::codecs
