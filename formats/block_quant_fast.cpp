// Fast fake quantization of the OCP MX family (AVX2, formats/simd_avx2.hpp), bit-exact with the reference codecs.
//
// Per block: amax from the integer view of |x| (NaN/Inf detected as exponent all ones), X from its exponent
// bits. Per element (float32, every step exact; see the notes at each line):
//   v = (|x| * 2^-X) * 2^frac        element-domain magnitude (exact, or < 2^-120 which rounds to 0 anyway)
//   q = round_to_grid(v)             the element magnitude per rounding mode, saturated (simd::round_to_grid)
//   out = sign | (q * 2^-frac) * 2^X (exact: every MX value is a float32)
#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "formats/block_codecs.hpp"
#include "formats/packed.hpp"
#include "formats/simd_avx2.hpp"

namespace mxlab::codecs {

void fake_quant_by_reference(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                             const QuantConfig& cfg) {
  decode(encode_ref(t.id, in, cfg), out);
}

namespace {

// X from the largest |x| bit pattern m (finite): exponent bits, or the leading one of a float32 subnormal.
int exponent_of_amax(std::uint32_t m, int scale_emax) {
  if (m == 0) return -127;
  const int log2_amax = m >= 0x00800000u ? static_cast<int>(m >> 23) - 127 : (31 - std::countl_zero(m)) - 149;
  return std::clamp(log2_amax - scale_emax, -127, 127);
}

template <Round R, bool Int>
struct MxKernel {
  using Stats = simd::AbsMax;
  struct Lanes {
    __m256 inv_scale, scale;  // 2^-X, 2^X
  };
  simd::Grid grid;
  __m256 frac, inv_frac;  // 2^frac, 2^-frac
  __m256i key;
  int scale_emax;

  bool prepare(const Stats& s, Lanes& c, float& fill) const {
    const std::uint32_t m = s.bits();
    if (m >= simd::kInfBits) return fill = std::numeric_limits<float>::quiet_NaN(), false;  // NaN scale
    const int X = exponent_of_amax(m, scale_emax);
    c = {_mm256_set1_ps(simd::pow2f(-X)), _mm256_set1_ps(simd::pow2f(X))};
    return true;
  }
  // FP elements have frac = 0 (the multiplications by 2^0 are left out).
  __m256 quantize8(__m256 x, const Lanes& c, std::uint32_t first_index) const {
    __m256 v = _mm256_mul_ps(simd::magnitude(x), c.inv_scale);
    if constexpr (Int) v = _mm256_mul_ps(v, frac);
    const __m256 q = simd::round_to_grid<R, Int>(v, grid, key, first_index);
    return simd::with_sign_of<Int>(_mm256_mul_ps(Int ? _mm256_mul_ps(q, inv_frac) : q, c.scale), x, q);
  }
};

template <bool Int>
void run(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg) {
  const auto block = static_cast<std::size_t>(resolve_block(t, cfg));
  if (!Int && t.frac_bits != 0) throw std::logic_error(std::string(t.name) + ": MX FP elements have no fraction bits");
  simd::dispatch_round(cfg.round, [&](auto mode) {
    const MxKernel<mode.value, Int> k{simd::grid_of(t.element()), _mm256_set1_ps(simd::pow2f(t.frac_bits)),
                                             _mm256_set1_ps(simd::pow2f(-t.frac_bits)),
                                             _mm256_set1_epi32(static_cast<int>(stochastic_key(cfg.seed))),
                                             t.scale_emax()};
    simd::quantize_blocks(k, in, out, block, cfg.index_base);
  });
}

}  // namespace

void fake_quant_fast_mx(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg) {
  if (t.element().is_int) run<true>(t, in, out, cfg);
  else run<false>(t, in, out, cfg);
}

}  // namespace mxlab::codecs
