// Reference block codecs: plain definitions of every block format (the exact oracle checks these).
//
// MX scales by a power of two, which is exact. The FP32-scaled families (NVFP4, INT/FP per group) compute
// their scales and quotients in float32 as the peer implementations do (torch: round(x / scale) on float32
// tensors; NVIDIA ModelOpt for NVFP4), and then round that float32 quotient exactly onto the element grid.
#include "formats/block_codecs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "formats/bit_codes.hpp"

namespace mxlab::codecs {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::uint32_t u24(const BlockContext& c, std::size_t i) { return stochastic_u24(c.key, c.first_index + i); }

std::uint8_t* codes_of(const BlockContext& c, std::uint8_t* block) { return block + c.t.scale_bits() / 8; }
const std::uint8_t* codes_of(const BlockContext& c, const std::uint8_t* block) { return block + c.t.scale_bits() / 8; }

void put_f32(std::uint8_t* p, float v) { std::memcpy(p, &v, 4); }  // little-endian host (x86-64)
float get_f32(const std::uint8_t* p) { float v; std::memcpy(&v, p, 4); return v; }

// Element i = elem(quotient(x_i)) into the block's code area.
template <class Quotient>
void encode_elements(const BlockContext& c, std::span<const float> x, std::uint8_t* codes, Quotient quotient) {
  const ElemSpec& e = c.t.element();
  for (std::size_t i = 0; i < x.size(); ++i)
    put_code(codes, e.bits, i, encode_elem_ref(e.id, quotient(x[i]), c.round, u24(c, i)));
}

double elem_value(const BlockContext& c, const std::uint8_t* block, std::size_t i) {
  return decode_elem(c.t.elem, get_code(codes_of(c, block), c.t.element().bits, i));
}

}  // namespace

Amax block_amax(std::span<const float> x) {
  Amax a;
  for (float v : x) {
    if (!std::isfinite(v)) a.special = true;
    else a.amax = std::max(a.amax, std::fabs(v));
  }
  return a;
}

// ---- OCP MX (OCP MX v1.0 section 6.3): X = floor(log2(amax)) - emax_elem, clamped to E8M0's [-127, 127];
// P_i = quantize(V_i / 2^X) with saturation to +-max normal. A NaN/Inf in the block makes the scale NaN.
void scale_mx(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const Amax a = block_amax(x);
  if (a.special) { block[0] = 0xFF; return; }  // NaN scale; element codes stay 0
  // ilogb reads the exponent bits exactly, also for float32 subnormals (no float log2 anywhere).
  block[0] = encode_e8m0(a.amax == 0 ? -127 : std::clamp(std::ilogb(a.amax) - c.t.scale_emax(), -127, 127));
}
void elements_mx(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  if (block[0] == 0xFF) return;
  const int shift = c.t.frac_bits - (static_cast<int>(block[0]) - 127);  // x * 2^-X in element units: exact
  encode_elements(c, x, codes_of(c, block), [shift](float v) { return std::ldexp(static_cast<long double>(v), shift); });
}
void decode_mx(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  if (block[0] == 0xFF) { std::fill(out.begin(), out.end(), kNaN); return; }
  const int shift = static_cast<int>(block[0]) - 127 - c.t.frac_bits;
  for (std::size_t i = 0; i < out.size(); ++i)  // exact: every MX value is a float32 (normal or subnormal)
    out[i] = static_cast<float>(std::ldexp(elem_value(c, block, i), shift));
}

// ---- NVFP4 (as NVIDIA ModelOpt computes it, in float32): block scale = e4m3(fl32(amax / fl32(6 g))) with g the
// per-tensor scale (1 without one), rounded half to even and saturating; d = fl32(scale * g); elements =
// e2m1(fl32(x / d)); x' = fl32(e2m1 * d). A scale that rounds to 0 zeroes the block.
float nvfp4_tensor_scale(std::span<const float> x) {
  float amax = 0;
  for (float v : x) if (std::isfinite(v)) amax = std::max(amax, std::fabs(v));
  const float g = amax / (6.0f * 448.0f);
  return (g > 0 && std::isfinite(g)) ? g : 1.0f;
}
float nvfp4_tensor_scale(std::span<const float> x, const QuantConfig& cfg) {
  if (!cfg.tensor_scale) return 1.0f;
  return cfg.tensor_scale_value > 0 ? cfg.tensor_scale_value : nvfp4_tensor_scale(x);
}
std::uint8_t nvfp4_block_scale(float amax, float tensor_scale) {
  return static_cast<std::uint8_t>(encode_elem_ref(Elem::ue4m3, amax / (6.0f * tensor_scale), Round::even));
}
float nvfp4_divisor(std::uint8_t scale, float tensor_scale) {
  return static_cast<float>(decode_elem(Elem::ue4m3, scale)) * tensor_scale;
}
void scale_nvfp4(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const Amax a = block_amax(x);
  block[0] = a.special ? 0x7F : nvfp4_block_scale(a.amax, c.tensor_scale);
}
void elements_nvfp4(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  if (block[0] == 0x7F) return;
  const float d = nvfp4_divisor(block[0], c.tensor_scale);
  if (d != 0) encode_elements(c, x, codes_of(c, block), [d](float v) { return v / d; });
}
void decode_nvfp4(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  if (block[0] == 0x7F) { std::fill(out.begin(), out.end(), kNaN); return; }
  const float d = nvfp4_divisor(block[0], c.tensor_scale);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(elem_value(c, block, i)) * d;
}

// ---- Symmetric INT-N and FP elements per group: s = fl32(amax / max_normal) (INT-N: 2^(N-1) - 1);
// q = elem(fl32(x / s)), saturating; x' = fl32(q * s). For FP elements s stands for LLM-FP4's real-valued
// exponent bias b = b_default - log2(s) (llmfp4_bias).
float group_scale(const FormatTraits& t, float amax) { return amax / static_cast<float>(t.element().max_normal); }
void scale_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const Amax a = block_amax(x);
  put_f32(block, a.special ? kNaN : group_scale(c.t, a.amax));
}
void elements_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const float s = get_f32(block);
  if (s > 0) encode_elements(c, x, codes_of(c, block), [s](float v) { return v / s; });
}
void decode_group(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  const float s = get_f32(block);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(elem_value(c, block, i)) * s;
}

// ---- Asymmetric INT-N per group, GPTQ's quantizer in float32: lo = min(min x, 0), hi = max(max x, 0),
// s = fl32(fl32(hi - lo) / (2^N - 1)), z = round_even(fl32(-lo / s)), q = clamp(round(fl32(x / s)) + z, 0, 2^N - 1),
// x' = fl32(s * (q - z)). Codes are unsigned; the zero point is one byte after the FP32 scale. A block with
// NaN/Inf, or whose range hi - lo overflows float32, gets a NaN scale.
AsymParams asym_params(std::span<const float> x, int bits) {
  const float maxq = static_cast<float>((1 << bits) - 1);
  float lo = 0, hi = 0;
  bool special = false;
  for (float v : x) {
    if (!std::isfinite(v)) special = true;
    else { lo = std::min(lo, v); hi = std::max(hi, v); }
  }
  const float s = (hi - lo) / maxq;
  AsymParams p{special || !std::isfinite(s) ? kNaN : s, 0};  // a range beyond float32 makes the block NaN
  if (p.scale > 0)
    p.zero = static_cast<int>(std::min<long double>(round_magnitude(-lo / p.scale, Round::even, 0), maxq));
  return p;
}
void scale_int_asym(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const AsymParams p = asym_params(x, c.t.element().bits);
  put_f32(block, p.scale);
  block[4] = static_cast<std::uint8_t>(p.zero);
}
void elements_int_asym(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const int bits = c.t.element().bits;
  const float s = get_f32(block);
  const long double maxq = (1 << bits) - 1, z = block[4];
  if (!(s > 0)) return;
  std::uint8_t* codes = codes_of(c, block);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float r = x[i] / s;
    const long double n = round_magnitude(std::fabs(r), c.round, u24(c, i));
    put_code(codes, bits, i, static_cast<std::uint32_t>(std::clamp((r < 0 ? -n : n) + z, 0.0L, maxq)));
  }
}
void decode_int_asym(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  const float s = get_f32(block);
  const int z = block[4], bits = c.t.element().bits;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = s * static_cast<float>(static_cast<int>(get_code(codes_of(c, block), bits, i)) - z);
}

}  // namespace mxlab::codecs
