// Fast fake quantization of NVFP4 and the symmetric FP32-scaled groups (INT-N and FP elements per group), AVX2
// (formats/simd_avx2.hpp), bit-exact with the reference codecs: the same float32 operations, in the same order.
//
// Per block (scalar): amax from the integer view of |x| (NaN/Inf: the block is NaN), then the divisor
//   INT/FP group: s = fl32(amax / max_normal)                                  (codecs::group_scale)
//   NVFP4:        s = fl32(ue4m3(fl32(amax / fl32(6 g))) * g)   (codecs::nvfp4_block_scale, nvfp4_divisor)
// with the UE4M3 rounding in ue4m3_even. s == 0: zeros.
// Per element (8 lanes): q = round_to_grid(fl32(|x| / s)) (|x| / s = |x / s|: IEEE division is sign-symmetric),
// out = sign | fl32(q * s), the reference decoder's product.
#include <bit>
#include <cstdint>
#include <limits>

#include "formats/block_codecs.hpp"
#include "formats/simd_avx2.hpp"

namespace mxlab::codecs {
namespace {

// encode_elem_ref(ue4m3, v, even) as a value, for v >= 0 or +Inf: half to even, saturating at 448 (OCP FP8 E4M3:
// [448, 464) rounds to 448, beyond to 480 > max normal). Normal range: the float32 bits rounded to 3 mantissa bits
// half to even (a carry moves into the exponent); below 2^-6 the step is 2^-9: v + 2^14 (ulp 2^-9) rounds v half
// to even, and subtracting 2^14 is exact.
float ue4m3_even(float v) {
  if (!(v < 448.0f)) return 448.0f;
  if (v < 0x1p-6f) return (v + 0x1p14f) - 0x1p14f;
  const std::uint32_t b = std::bit_cast<std::uint32_t>(v);
  return std::bit_cast<float>((b + 0x7FFFFu + ((b >> 20) & 1u)) & 0xFFF00000u);
}

template <Round R, bool Int, bool Nvfp4>
struct ScaledKernel {
  using Stats = simd::AbsMax;
  struct Lanes {
    __m256 s;
  };
  simd::Grid grid;
  __m256i key;
  float divisor;  // group: max_normal; NVFP4: fl32(6 g)
  float g;        // NVFP4's tensor scale

  bool prepare(const Stats& st, Lanes& c, float& fill) const {
    const std::uint32_t m = st.bits();
    if (m >= simd::kInfBits) return fill = std::numeric_limits<float>::quiet_NaN(), false;
    const float q = std::bit_cast<float>(m) / divisor;
    const float s = Nvfp4 ? ue4m3_even(q) * g : q;
    if (s == 0) return fill = 0.0f, false;
    c.s = _mm256_set1_ps(s);
    return true;
  }
  __m256 quantize8(__m256 x, const Lanes& c, std::uint32_t first_index) const {
    const __m256 q = simd::round_to_grid<R, Int>(_mm256_div_ps(simd::magnitude(x), c.s), grid, key, first_index);
    return simd::with_sign_of<Int>(_mm256_mul_ps(q, c.s), x, q);
  }
};

template <bool Nvfp4>
void run(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg, float g) {
  const auto block = static_cast<std::size_t>(resolve_block(t, cfg));
  const ElemSpec& e = t.element();
  const float divisor = Nvfp4 ? 6.0f * g : static_cast<float>(e.max_normal);
  const __m256i key = _mm256_set1_epi32(static_cast<int>(stochastic_key(cfg.seed)));
  simd::dispatch_round(cfg.round, [&](auto mode) {
    const auto go = [&](auto kernel) { simd::quantize_blocks(kernel, in, out, block, cfg.index_base); };
    const simd::Grid grid = simd::grid_of(e);
    if constexpr (Nvfp4) go(ScaledKernel<mode.value, false, true>{grid, key, divisor, g});
    else if (e.is_int) go(ScaledKernel<mode.value, true, false>{grid, key, divisor, g});
    else go(ScaledKernel<mode.value, false, false>{grid, key, divisor, g});
  });
}

}  // namespace

void fake_quant_fast_nvfp4(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                           const QuantConfig& cfg) {
  // The tensor scale the reference takes (nvfp4_tensor_scale(in, cfg)), from a vectorized amax when it is needed.
  const bool own_scale = cfg.tensor_scale && !(cfg.tensor_scale_value > 0);
  const float amax = own_scale ? simd::finite_amax(in) : 0.0f;
  run<true>(t, in, out, cfg, nvfp4_tensor_scale(std::span<const float>(&amax, own_scale ? 1 : 0), cfg));
}

void fake_quant_fast_group(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                           const QuantConfig& cfg) {
  run<false>(t, in, out, cfg, 1.0f);
}

}  // namespace mxlab::codecs
