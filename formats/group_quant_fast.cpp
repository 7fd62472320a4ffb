// Fast fake quantization of NVFP4 and the FP32-scaled families (INT / asymmetric INT / FP per group).
//
// Quotients x / s are taken in double. For even, nearest and floor every rounding boundary B (a grid point or
// a midpoint, at most 9 significant bits) times s has at most 33 significant bits, so a quotient that is not
// on a boundary lies at least 2^-33 (relative) from it and a 2^-53 rounding cannot reach it; exact ties are
// exact in double. Stochastic thresholds have 24 more bits, so stochastic rounding uses the reference codec.
// Per-block scales come from the same helpers as the reference; tests/formats compare the two bit for bit.
#include <algorithm>
#include <cmath>
#include <limits>

#include "formats/block_codecs.hpp"

namespace mxlab::codecs {
namespace {

double round_magnitude_fast(double r, Round mode) {
  switch (mode) {
    case Round::even: return std::nearbyint(r);  // the default floating-point environment rounds half to even
    case Round::floor: return std::trunc(r);
    default: {
      const double t = std::trunc(r);
      return r - t >= 0.5 ? t + 1 : t;
    }
  }
}

// The element value nearest to t by `mode`, saturated, signed (FP keeps -0; integers return +0).
double round_to_element(double t, const ElemSpec& e, Round mode) {
  const double a = std::fabs(t);
  if (e.is_int) {
    const double n = std::min(round_magnitude_fast(a, mode), e.max_normal);
    return t < 0 && n > 0 ? -n : n;
  }
  if (a == 0) return t;
  const int ex = std::max(std::ilogb(a), e.emin);
  const double n = round_magnitude_fast(std::ldexp(a, e.mbits - ex), mode);
  return std::copysign(std::min(std::ldexp(n, ex - e.mbits), e.max_normal), t);
}

struct Amax {
  float amax = 0;
  bool special = false;
};
Amax block_amax(const float* x, std::size_t n) {
  Amax a;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) a.special = true;
    else a.amax = std::max(a.amax, std::fabs(x[i]));
  }
  return a;
}

void quantize_block(const FormatTraits& t, const float* x, float* y, std::size_t n, Round mode, float g) {
  const ElemSpec& e = t.element();
  constexpr float nan = std::numeric_limits<float>::quiet_NaN();
  if (t.family == Family::int_asym) {
    const AsymParams p = asym_params({x, n}, e.bits);
    const double maxq = (1 << e.bits) - 1;
    if (!(p.scale > 0)) return (void)std::fill_n(y, n, std::isnan(p.scale) ? nan : 0.0f);
    for (std::size_t i = 0; i < n; ++i) {
      const double r = x[i] / static_cast<double>(p.scale), n = round_magnitude_fast(std::fabs(r), mode);
      const double q = std::clamp((r < 0 ? -n : n) + p.zero, 0.0, maxq);
      y[i] = p.scale * static_cast<float>(static_cast<int>(q) - p.zero);
    }
    return;
  }
  const Amax a = block_amax(x, n);
  if (a.special) return (void)std::fill_n(y, n, nan);
  const double s = t.family == Family::nvfp4 ? decode_elem(Elem::ue4m3, nvfp4_block_scale(a.amax, g)) * g
                                             : static_cast<double>(group_scale(t, a.amax));
  if (s == 0) return (void)std::fill_n(y, n, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const double q = round_to_element(x[i] / s, e, mode);
    // INT: fl32(k) * s in float, as the reference decodes; FP: the exact double product rounded once.
    y[i] = e.is_int ? static_cast<float>(q) * static_cast<float>(s) : static_cast<float>(q * s);
  }
}

}  // namespace

void fake_quant_fast_scaled(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                            const QuantConfig& cfg) {
  if (cfg.round == Round::stochastic) return fake_quant_by_reference(t, in, out, cfg);
  const std::size_t block = static_cast<std::size_t>(resolve_block(t, cfg));
  const float g = cfg.tensor_scale ? nvfp4_tensor_scale(in) : 1.0f;
  const std::size_t n = in.size(), nb = (n + block - 1) / block;
#pragma omp parallel for schedule(static) if (n >= (1u << 16))
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t first = b * block;
    quantize_block(t, in.data() + first, out.data() + first, std::min(block, n - first), cfg.round, g);
  }
}

}  // namespace mxlab::codecs
