// The traits table: every block format mxlab knows, in enum order, and the dispatch that reads it.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "formats/bit_codes.hpp"
#include "formats/block_codecs.hpp"
#include "formats/format.hpp"

namespace mxlab {
namespace {
using namespace codecs;

#define MX_ROW(id, elem, frac, summary) \
  {Format::id, #id, Family::mx, Elem::elem, 32, ScaleType::e8m0, frac, summary, \
   scale_mx, elements_mx, decode_mx, fake_quant_fast_mx, 0, 0}
#define GROUP_ROW(id, family, elem, scale, enc_scale, enc_elements, dec, summary) \
  {Format::id, #id, Family::family, Elem::elem, 32, ScaleType::scale, 0, summary, enc_scale, enc_elements, dec, \
   Family::family == Family::int_asym ? fake_quant_fast_int_asym : fake_quant_fast_group, 0, 0}
// VQ rows: default block = 8 x the codebook's bits (FP32 scale + K x D x 8), so the codebook costs exactly 1/8 bit per
// weight: 2.125 / 3.125 / 4.125 bits, the settings of GPTVQ (van Baalen et al. 2024, table 1).
#define VQ_ROW(id, bits, dim, block, summary) \
  {Format::id, #id, Family::vq, Elem::int8, block, ScaleType::vq_codebook, 0, summary, scale_vq, elements_vq, \
   decode_vq, fake_quant_by_reference, dim, bits}

const std::array<FormatTraits, kFormatCount> kFormats{{
    MX_ROW(mxfp8_e4m3, e4m3, 0, "OCP MX FP8 E4M3, E8M0 scale per 32"),
    MX_ROW(mxfp8_e5m2, e5m2, 0, "OCP MX FP8 E5M2, E8M0 scale per 32"),
    MX_ROW(mxfp6_e3m2, e3m2, 0, "OCP MX FP6 E3M2, E8M0 scale per 32"),
    MX_ROW(mxfp6_e2m3, e2m3, 0, "OCP MX FP6 E2M3, E8M0 scale per 32"),
    MX_ROW(mxfp4_e2m1, e2m1, 0, "OCP MX FP4 E2M1, E8M0 scale per 32"),
    MX_ROW(mxint8, int8, 6, "OCP MX INT8 (k/64, |k| <= 127), E8M0 scale per 32"),
    MX_ROW(mxint6, int6, 4, "MX INT6 (k/16, |k| <= 31), E8M0 scale per 32"),
    MX_ROW(mxint4, int4, 2, "MX INT4 (k/4, |k| <= 7), E8M0 scale per 32"),
    MX_ROW(mxint2, int2, 0, "MX INT2 (|k| <= 1), E8M0 scale per 32"),
    {Format::nvfp4, "nvfp4", Family::nvfp4, Elem::e2m1, 16, ScaleType::ue4m3, 0,
     "NVFP4: E2M1, UE4M3 scale per 16, optional FP32 tensor scale", scale_nvfp4, elements_nvfp4, decode_nvfp4,
     fake_quant_fast_nvfp4, 0, 0},
    GROUP_ROW(int8, int_group, int8, fp32, scale_group, elements_group, decode_group, "INT8 symmetric, FP32 scale per group"),
    GROUP_ROW(int6, int_group, int6, fp32, scale_group, elements_group, decode_group, "INT6 symmetric, FP32 scale per group"),
    GROUP_ROW(int4, int_group, int4, fp32, scale_group, elements_group, decode_group, "INT4 symmetric, FP32 scale per group"),
    GROUP_ROW(int2, int_group, int2, fp32, scale_group, elements_group, decode_group, "INT2 symmetric, FP32 scale per group"),
    GROUP_ROW(int8_asym, int_asym, int8, fp32_zero, scale_int_asym, elements_int_asym, decode_int_asym, "UINT8 + zero point, FP32 scale per group"),
    GROUP_ROW(int6_asym, int_asym, int6, fp32_zero, scale_int_asym, elements_int_asym, decode_int_asym, "UINT6 + zero point, FP32 scale per group"),
    GROUP_ROW(int4_asym, int_asym, int4, fp32_zero, scale_int_asym, elements_int_asym, decode_int_asym, "UINT4 + zero point, FP32 scale per group"),
    GROUP_ROW(int2_asym, int_asym, int2, fp32_zero, scale_int_asym, elements_int_asym, decode_int_asym, "UINT2 + zero point, FP32 scale per group"),
    GROUP_ROW(fp8_e4m3, fp_group, e4m3, fp32, scale_group, elements_group, decode_group, "FP8 E4M3, FP32 scale per group"),
    GROUP_ROW(fp6_e3m2, fp_group, e3m2, fp32, scale_group, elements_group, decode_group, "FP6 E3M2, FP32 scale per group"),
    GROUP_ROW(fp6_e2m3, fp_group, e2m3, fp32, scale_group, elements_group, decode_group, "FP6 E2M3, FP32 scale per group"),
    GROUP_ROW(fp4_e2m1, fp_group, e2m1, fp32, scale_group, elements_group, decode_group, "FP4 E2M1, FP32 scale per group (LLM-FP4)"),
    GROUP_ROW(fp4_e1m2, fp_group, e1m2, fp32, scale_group, elements_group, decode_group, "FP4 E1M2, FP32 scale per group (LLM-FP4)"),
    GROUP_ROW(fp4_e3m0, fp_group, e3m0, fp32, scale_group, elements_group, decode_group, "FP4 E3M0, FP32 scale per group (LLM-FP4)"),
    GROUP_ROW(int3, int_group, int3, fp32, scale_group, elements_group, decode_group, "INT3 symmetric, FP32 scale per group"),
    GROUP_ROW(int3_asym, int_asym, int3, fp32_zero, scale_int_asym, elements_int_asym, decode_int_asym, "UINT3 + zero point, FP32 scale per group"),
    VQ_ROW(vq2_d1, 2, 1, 512, "VQ 2 bits/weight, D=1: 4 INT8 codewords + FP32 scale per 512"),
    VQ_ROW(vq2_d2, 2, 2, 2304, "VQ 2 bits/weight, D=2: 16 INT8 2-vectors + FP32 scale per 2304"),
    VQ_ROW(vq3_d1, 3, 1, 768, "VQ 3 bits/weight, D=1: 8 INT8 codewords + FP32 scale per 768"),
    VQ_ROW(vq3_d2, 3, 2, 8448, "VQ 3 bits/weight, D=2: 64 INT8 2-vectors + FP32 scale per 8448"),
    VQ_ROW(vq4_d1, 4, 1, 1280, "VQ 4 bits/weight, D=1: 16 INT8 codewords + FP32 scale per 1280"),
}};
#undef MX_ROW
#undef GROUP_ROW
#undef VQ_ROW

bool table_is_in_enum_order() {
  for (int i = 0; i < kFormatCount; ++i)
    if (static_cast<int>(kFormats[i].id) != i) return false;
  return true;
}
}  // namespace

int FormatTraits::scale_bits() const {
  switch (scale) {
    case ScaleType::e8m0:
    case ScaleType::ue4m3: return 8;
    case ScaleType::fp32: return 32;
    case ScaleType::fp32_zero: return 40;
    case ScaleType::vq_codebook: return 32 + (1 << (vq_bits * vq_dim)) * vq_dim * 8;
  }
  return 0;
}
int FormatTraits::code_bits() const { return family == Family::vq ? vq_bits : element().bits; }
std::size_t FormatTraits::block_bytes(int block) const {
  return static_cast<std::size_t>(scale_bits() / 8) + (static_cast<std::size_t>(code_bits()) * block + 7) / 8;
}
double FormatTraits::bits_per_weight(int block) const {
  if (block <= 0) block = default_block;
  return static_cast<double>(scale_bits() + static_cast<double>(code_bits()) * block) / block;
}
std::uint32_t FormatTraits::lane_code(const std::uint8_t* block, std::size_t i) const {
  if (family == Family::vq) return static_cast<std::uint8_t>(codecs::vq_lane_entry(*this, block, i));
  return get_code(block + scale_bits() / 8, element().bits, i);
}
double FormatTraits::max_value() const { return std::ldexp(element().max_normal, -frac_bits); }
int FormatTraits::scale_emax() const { return element().emax - frac_bits; }

std::span<const FormatTraits> format_table() {
  static const bool ok = table_is_in_enum_order();
  if (!ok) throw std::logic_error("format table is out of enum order");
  return kFormats;
}
const FormatTraits& traits(Format f) {
  const auto i = static_cast<std::size_t>(f);
  if (i >= kFormats.size()) throw std::invalid_argument("unknown format id " + std::to_string(i));
  return format_table()[i];
}
std::string format_names(std::string_view sep) {
  std::string s;
  for (const auto& t : format_table()) s += (s.empty() ? "" : std::string(sep)) + t.name;
  return s;
}
const FormatTraits& find_format(std::string_view name) {
  for (const auto& t : format_table())
    if (name == t.name) return t;
  throw std::invalid_argument("unknown format '" + std::string(name) + "' (known: " + format_names() + ")");
}
std::string_view family_name(Family f) {
  switch (f) {
    case Family::mx: return "mx";
    case Family::nvfp4: return "nvfp4";
    case Family::int_group: return "int_group";
    case Family::int_asym: return "int_asym";
    case Family::fp_group: return "fp_group";
    case Family::vq: return "vq";
  }
  return "?";
}
std::string_view scale_name(ScaleType s) {
  switch (s) {
    case ScaleType::e8m0: return "e8m0";
    case ScaleType::ue4m3: return "ue4m3";
    case ScaleType::fp32: return "fp32";
    case ScaleType::fp32_zero: return "fp32+zero";
    case ScaleType::vq_codebook: return "vq_codebook";
  }
  return "?";
}

int resolve_block(const FormatTraits& t, const QuantConfig& cfg) {
  constexpr int kMaxBlock = 1 << 24;
  const int block = cfg.block == 0 ? t.default_block : cfg.block;
  if (block < 1 || block > kMaxBlock)
    throw std::invalid_argument("block size " + std::to_string(cfg.block) + " for " + t.name +
                                " is out of range: use 1.." + std::to_string(kMaxBlock) + " (0 = default " +
                                std::to_string(t.default_block) + ")");
  if (t.family == Family::vq && block % t.vq_dim != 0)
    throw std::invalid_argument("block size " + std::to_string(block) + " for " + t.name +
                                " is not a multiple of its vector dimension " + std::to_string(t.vq_dim));
  if (cfg.tensor_scale && t.family != Family::nvfp4)
    throw std::invalid_argument(std::string("a per-tensor scale is defined for nvfp4 only, not ") + t.name);
  if (cfg.tensor_scale_value != 0 && !(cfg.tensor_scale && cfg.tensor_scale_value > 0 &&
                                       std::isfinite(cfg.tensor_scale_value)))
    throw std::invalid_argument("a given tensor scale must be finite and > 0, and needs the per-tensor scale on");
  return block;
}

double llmfp4_maxval(int ebits, int mbits, double bias) {
  return (2.0 - std::ldexp(1.0, -mbits)) * std::exp2(std::ldexp(1.0, ebits) - 1.0 - bias);
}
double llmfp4_bias(Elem e, float scale) {
  return elem_spec(e).bias - std::log2(static_cast<double>(scale));
}

std::vector<float> flush_subnormal_blocks(std::span<const float> in, std::size_t block) {
  std::vector<float> x(in.begin(), in.end());
  for (std::size_t b = 0; b < x.size(); b += block) {
    const std::size_t n = std::min(block, x.size() - b);
    const codecs::Amax a = codecs::block_amax(in.subspan(b, n));
    if (a.special || a.amax >= std::numeric_limits<float>::min()) continue;
    for (std::size_t i = b; i < b + n; ++i) x[i] = std::copysign(0.0f, x[i]);
  }
  return x;
}

void fake_quantize(Format f, std::span<const float> in, std::span<float> out, const QuantConfig& cfg) {
  if (in.size() != out.size()) throw std::invalid_argument("fake_quantize: input and output sizes differ");
  const FormatTraits& t = traits(f);
  resolve_block(t, cfg);
  if (cfg.flush_subnormal_inputs) {
    QuantConfig plain = cfg;
    plain.flush_subnormal_inputs = false;
    return t.fake_quant_fast(t, flush_subnormal_blocks(in, static_cast<std::size_t>(resolve_block(t, cfg))), out, plain);
  }
  t.fake_quant_fast(t, in, out, cfg);
}
void fake_quantize_ref(Format f, std::span<const float> in, std::span<float> out, const QuantConfig& cfg) {
  if (in.size() != out.size()) throw std::invalid_argument("fake_quantize_ref: input and output sizes differ");
  const FormatTraits& t = traits(f);
  resolve_block(t, cfg);
  fake_quant_by_reference(t, in, out, cfg);
}

}  // namespace mxlab
