// Reference block codecs: plain, exact definitions of every block format (the oracle checks these).
//
// Exactness: values are scaled in long double (64-bit significand). MX scaling by 2^-X is exact. For the
// FP32-scaled families the quotient x/s of two float32 numbers is rounded to 64 bits; every rounding
// boundary (grid midpoint, or a 24-bit stochastic threshold) times s has at most 24+8+24 significant bits,
// so a quotient that is not on a boundary is at least 2^-56 (relative) away from it and cannot be moved
// onto or across it by a 2^-64 rounding; exact ties stay exact. tests/formats check this against the oracle.
#include "formats/block_codecs.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "formats/packed.hpp"

namespace mxlab::codecs {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Amax {
  float amax = 0;
  bool special = false;  // a NaN or an infinity is in the block
};
Amax block_amax(std::span<const float> x) {
  Amax a;
  for (float v : x) {
    if (!std::isfinite(v)) a.special = true;
    else a.amax = std::max(a.amax, std::fabs(v));
  }
  return a;
}

std::uint32_t u24(const BlockContext& c, std::size_t i) { return stochastic_u24(c.key, c.first_index + i); }

std::uint8_t* codes_of(const BlockContext& c, std::uint8_t* block) { return block + c.t.scale_bits() / 8; }
const std::uint8_t* codes_of(const BlockContext& c, const std::uint8_t* block) { return block + c.t.scale_bits() / 8; }

void put_f32(std::uint8_t* p, float v) { std::memcpy(p, &v, 4); }  // little-endian host (x86-64)
float get_f32(const std::uint8_t* p) { float v; std::memcpy(&v, p, 4); return v; }

// Encodes every element as elem(x_i / divisor) (divisor exact in long double) into the block's code area.
void encode_elements(const BlockContext& c, std::span<const float> x, long double divisor, std::uint8_t* codes) {
  const ElemSpec& e = c.t.element();
  for (std::size_t i = 0; i < x.size(); ++i)
    put_code(codes, e.bits, i, encode_elem_ref(e.id, static_cast<long double>(x[i]) / divisor, c.round, u24(c, i)));
}

}  // namespace

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
  encode_elements(c, x, std::ldexp(1.0L, static_cast<int>(block[0]) - 127 - c.t.frac_bits), codes_of(c, block));
}
void decode_mx(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  if (block[0] == 0xFF) { std::fill(out.begin(), out.end(), kNaN); return; }
  const int shift = static_cast<int>(block[0]) - 127 - c.t.frac_bits;
  const ElemSpec& e = c.t.element();
  for (std::size_t i = 0; i < out.size(); ++i)  // exact: every MX value is a float32 (normal or subnormal)
    out[i] = static_cast<float>(std::ldexp(decode_elem(e.id, get_code(codes_of(c, block), e.bits, i)), shift));
}

// ---- NVFP4: E2M1 elements, block 16, scale = amax / (6 * tensor_scale) rounded to UE4M3 (half to even,
// saturating); elements = x / (scale * tensor_scale) rounded to E2M1. A scale that rounds to 0 zeroes the block.
float nvfp4_tensor_scale(std::span<const float> x) {
  float amax = 0;
  for (float v : x) if (std::isfinite(v)) amax = std::max(amax, std::fabs(v));
  const float g = amax / (6.0f * 448.0f);
  return (g > 0 && std::isfinite(g)) ? g : 1.0f;
}
std::uint8_t nvfp4_block_scale(float amax, float tensor_scale) {
  return static_cast<std::uint8_t>(encode_elem_ref(Elem::ue4m3, amax / (6.0L * tensor_scale), Round::even));
}
void scale_nvfp4(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const Amax a = block_amax(x);
  block[0] = a.special ? 0x7F : nvfp4_block_scale(a.amax, c.tensor_scale);
}
void elements_nvfp4(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  if (block[0] == 0x7F) return;
  const long double s = decode_elem(Elem::ue4m3, block[0]) * static_cast<long double>(c.tensor_scale);
  if (s != 0) encode_elements(c, x, s, codes_of(c, block));
}
void decode_nvfp4(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  if (block[0] == 0x7F) { std::fill(out.begin(), out.end(), kNaN); return; }
  const long double s = decode_elem(Elem::ue4m3, block[0]) * static_cast<long double>(c.tensor_scale);
  for (std::size_t i = 0; i < out.size(); ++i)  // the exact product, rounded once to float32
    out[i] = static_cast<float>(decode_elem(Elem::e2m1, get_code(codes_of(c, block), 4, i)) * s);
}

// ---- Symmetric INT-N per group: s = fl32(amax / (2^(N-1) - 1)); q = clamp(round(x / s)); x' = fl32(q * s).
float group_scale(const FormatTraits& t, float amax) { return amax / static_cast<float>(t.element().max_normal); }
void scale_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const Amax a = block_amax(x);
  put_f32(block, a.special ? kNaN : group_scale(c.t, a.amax));
}
void elements_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const float s = get_f32(block);
  if (s > 0) encode_elements(c, x, s, codes_of(c, block));
}
void decode_int_group(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  const float s = get_f32(block);
  const ElemSpec& e = c.t.element();
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = std::isnan(s) ? kNaN : static_cast<float>(decode_elem(e.id, get_code(codes_of(c, block), e.bits, i))) * s;
}

// ---- Asymmetric INT-N per group, as GPTQ's quantizer: xmin = min(min x, 0), xmax = max(max x, 0),
// s = fl32(fl32(xmax - xmin) / (2^N - 1)), z = round_even(-xmin / s), q = clamp(round(x / s) + z, 0, 2^N - 1),
// x' = fl32(s * (q - z)). Codes are unsigned; the zero point is one byte after the FP32 scale.
AsymParams asym_params(std::span<const float> x, int bits) {
  const long double maxq = (1 << bits) - 1;
  float lo = 0, hi = 0;
  bool special = false;
  for (float v : x) {
    if (!std::isfinite(v)) special = true;
    else { lo = std::min(lo, v); hi = std::max(hi, v); }
  }
  AsymParams p{special ? kNaN : (hi - lo) / static_cast<float>(maxq), 0};
  if (p.scale > 0)
    p.zero = static_cast<int>(std::min(round_magnitude(-lo / static_cast<long double>(p.scale), Round::even, 0), maxq));
  return p;
}
void scale_int_asym(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const AsymParams p = asym_params(x, c.t.element().bits);
  put_f32(block, p.scale);
  block[4] = static_cast<std::uint8_t>(p.zero);
}
void elements_int_asym(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const int bits = c.t.element().bits;
  const long double maxq = (1 << bits) - 1, s = get_f32(block), z = block[4];
  if (!(s > 0)) return;
  std::uint8_t* codes = codes_of(c, block);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double r = static_cast<long double>(x[i]) / s;
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

// ---- FP element per group with an FP32 scale s = fl32(amax / max_normal). Equivalent to LLM-FP4's
// real-valued exponent bias b = b_default - log2(s) (see llmfp4_bias); x' = fl32(elem * s).
void decode_fp_group(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  const float s = get_f32(block);
  const ElemSpec& e = c.t.element();
  for (std::size_t i = 0; i < out.size(); ++i)  // elem (<= 4 significant bits) * s is exact in double
    out[i] = static_cast<float>(decode_elem(e.id, get_code(codes_of(c, block), e.bits, i)) * static_cast<double>(s));
}

}  // namespace mxlab::codecs
