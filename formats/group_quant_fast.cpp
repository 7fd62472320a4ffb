// Fast fake quantization of NVFP4 and the FP32-scaled families (INT / asymmetric INT / FP per group): the
// reference codecs' float32 quotient rounded onto the element grid in double (exact: the quotient is a float),
// without packing codes. Per-block scales come from the same helpers as the reference; tests/formats compare
// the two bit for bit.
#include <algorithm>
#include <cmath>
#include <limits>

#include "formats/block_codecs.hpp"

namespace mxlab::codecs {
namespace {

// round_magnitude (rounding.hpp) for the double magnitude of a float32 quotient.
double round_magnitude_fast(double r, Round mode, std::uint32_t u24) {
  if (mode == Round::even) return std::nearbyint(r);  // the default floating-point environment: half to even
  const double t = std::trunc(r), f = r - t;
  switch (mode) {
    case Round::nearest: return f >= 0.5 ? t + 1 : t;
    case Round::stochastic: return u24 < std::floor(std::ldexp(f, 24)) ? t + 1 : t;
    default: return t;
  }
}

// The element value nearest to t by `mode`, saturated, signed (FP keeps -0; integers give +0).
double round_to_element(double t, const ElemSpec& e, Round mode, std::uint32_t u24) {
  const double a = std::fabs(t);
  if (e.is_int) {
    const double n = std::min(round_magnitude_fast(a, mode, u24), e.max_normal);
    return t < 0 && n > 0 ? -n : n;
  }
  if (a == 0) return t;
  const int ex = std::max(std::ilogb(a), e.emin);
  const double n = round_magnitude_fast(std::ldexp(a, e.mbits - ex), mode, u24);
  return std::copysign(std::min(std::ldexp(n, ex - e.mbits), e.max_normal), t);
}

struct Block {
  const float* x;
  float* y;
  std::size_t n;
  std::size_t first;  // flat index of x[0]
};

void quantize_block(const FormatTraits& t, const Block& b, const QuantConfig& cfg, std::uint32_t key, float g) {
  const ElemSpec& e = t.element();
  constexpr float nan = std::numeric_limits<float>::quiet_NaN();
  auto u24 = [&](std::size_t i) { return cfg.round == Round::stochastic ? stochastic_u24(key, b.first + i) : 0u; };
  if (t.family == Family::int_asym) {
    const AsymParams p = asym_params({b.x, b.n}, e.bits);
    const double maxq = (1 << e.bits) - 1;
    if (!(p.scale > 0)) return (void)std::fill_n(b.y, b.n, std::isnan(p.scale) ? nan : 0.0f);
    for (std::size_t i = 0; i < b.n; ++i) {
      const float r = b.x[i] / p.scale;
      const double n = round_magnitude_fast(std::fabs(r), cfg.round, u24(i));
      const double q = std::clamp((r < 0 ? -n : n) + p.zero, 0.0, maxq);
      b.y[i] = p.scale * static_cast<float>(static_cast<int>(q) - p.zero);
    }
    return;
  }
  const Amax a = block_amax({b.x, b.n});
  if (a.special) return (void)std::fill_n(b.y, b.n, nan);
  const float s = t.family == Family::nvfp4 ? nvfp4_divisor(nvfp4_block_scale(a.amax, g), g) : group_scale(t, a.amax);
  if (s == 0) return (void)std::fill_n(b.y, b.n, 0.0f);
  for (std::size_t i = 0; i < b.n; ++i)
    b.y[i] = static_cast<float>(round_to_element(b.x[i] / s, e, cfg.round, u24(i))) * s;
}

}  // namespace

void fake_quant_fast_scaled(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                            const QuantConfig& cfg) {
  const std::size_t block = static_cast<std::size_t>(resolve_block(t, cfg));
  const float g = nvfp4_tensor_scale(in, cfg);
  const std::uint32_t key = stochastic_key(cfg.seed);
  const std::size_t n = in.size(), nb = (n + block - 1) / block;
#pragma omp parallel for schedule(static) if (n >= (1u << 16))
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t first = b * block;
    quantize_block(t, {in.data() + first, out.data() + first, std::min(block, n - first), cfg.index_base + first}, cfg,
                   key, g);
  }
}

}  // namespace mxlab::codecs
