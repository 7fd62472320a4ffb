// Block formats: one append-only enum and one traits table that every other part of mxlab iterates over.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/element.hpp"

namespace mxlab {

// Append-only: never renumber. Packed files, sweeps and the RTL package refer to these ids.
enum class Format : std::uint8_t {
  mxfp8_e4m3 = 0, mxfp8_e5m2 = 1, mxfp6_e3m2 = 2, mxfp6_e2m3 = 3, mxfp4_e2m1 = 4,
  mxint8 = 5, mxint6 = 6, mxint4 = 7, mxint2 = 8,
  nvfp4 = 9,
  int8 = 10, int6 = 11, int4 = 12, int2 = 13,                  // symmetric, FP32 scale per group
  int8_asym = 14, int6_asym = 15, int4_asym = 16, int2_asym = 17,  // FP32 scale + zero point per group
  fp8_e4m3 = 18, fp6_e3m2 = 19, fp6_e2m3 = 20,                  // FP elements, FP32 scale per group
  fp4_e2m1 = 21, fp4_e1m2 = 22, fp4_e3m0 = 23,
  int3 = 24, int3_asym = 25,                                    // 3-bit INT: symmetric / + zero point per group
  vq2_d1 = 26, vq2_d2 = 27, vq3_d1 = 28, vq3_d2 = 29, vq4_d1 = 30,  // VQ: bits per dim, dim D, INT8 codebook
};
inline constexpr int kFormatCount = 31;

enum class Family : std::uint8_t {
  mx,          // OCP MX: E8M0 power-of-two scale per block
  nvfp4,       // E2M1 elements, UE4M3 scale per 16, optional FP32 per-tensor scale
  int_group,   // symmetric INT-N, FP32 scale = amax / (2^(N-1) - 1)
  int_asym,    // asymmetric INT-N, FP32 scale and integer zero point (GPTQ's quantizer)
  fp_group,    // FP element with FP32 scale = amax / max_normal (LLM-FP4's real-valued exponent bias)
  vq,          // vector quantization: per block one INT8 codebook of K = 2^(bits D) D-vectors, bits*D-bit indices
};

// vq_codebook: FP32 scale + K x D int8 entries (formats/vq_codecs.cpp); its FP32 scale leads, as in fp32.
enum class ScaleType : std::uint8_t { e8m0, ue4m3, fp32, fp32_zero, vq_codebook };

struct QuantConfig {
  Round round = Round::even;
  int block = 0;               // elements per block; 0 = the format's default
  std::uint64_t seed = 0;      // stochastic rounding seed
  bool tensor_scale = false;   // nvfp4 only: second-level FP32 per-tensor scale (amax / (6 * 448))
  // With tensor_scale: the tensor scale to use, > 0 (the rows of one matrix quantized separately share the matrix's
  // scale); 0 = amax of the values in hand / (6 * 448).
  float tensor_scale_value = 0.0f;
  std::size_t index_base = 0;  // flat index of in[0], for stochastic rounding of a slice of a larger tensor
  // A block whose largest |x| is a float32 subnormal becomes (signed) zeros (microxcaling's flush_fp32_subnorms).
  bool flush_subnormal_inputs = false;
};

struct FormatTraits;
// What one block's codec needs besides the values: the format, rounding, random key and tensor context.
struct BlockContext {
  const FormatTraits& t;
  Round round;
  std::uint32_t key;         // stochastic_key(seed)
  std::size_t first_index;   // flat index of the block's first value
  float tensor_scale;        // nvfp4 second-level scale (1 when unused)
};
// Reference block codec: values -> packed block bytes (scale, then elements), and packed bytes -> values.
using EncodeBlockFn = void (*)(const BlockContext&, std::span<const float> x, std::uint8_t* block);
using DecodeBlockFn = void (*)(const BlockContext&, const std::uint8_t* block, std::span<float> out);
using FakeQuantFn = void (*)(const FormatTraits&, std::span<const float> in, std::span<float> out, const QuantConfig&);

struct FormatTraits {
  Format id;
  const char* name;   // spec spelling
  Family family;
  Elem elem;
  int default_block;
  ScaleType scale;
  int frac_bits;      // MXINT: elements are k * 2^-(bits-2); 0 for FP elements
  const char* summary;
  EncodeBlockFn encode_scale_ref;     // reference: the block's scale bytes from its values
  EncodeBlockFn encode_elements_ref;  // reference: the element codes given the scale bytes already in the block
  DecodeBlockFn decode_block;      // exact decoder of one block (output rounded once to float32)
  FakeQuantFn fake_quant_fast;     // decode(encode_ref(x)) bit for bit, faster (tested against the reference)
  int vq_dim;         // VQ: D, weights per codebook vector (0 for the scalar families)
  int vq_bits;        // VQ: index bits per weight (an index has vq_bits * vq_dim bits)

  const ElemSpec& element() const { return elem_spec(elem); }
  int scale_bits() const;                       // bits of one block's scale (+ zero point, or VQ codebook) as packed
  int code_bits() const;                        // packed bits per weight after the scale: element bits (VQ: vq_bits)
  std::size_t block_bytes(int block) const;     // packed bytes of one block of `block` elements
  double bits_per_weight(int block = 0) const;  // exact: (scale bits + block * code bits) / block
  // The element code lane i of a packed block stands for (VQ: the int8 codebook entry its index selects).
  std::uint32_t lane_code(const std::uint8_t* block, std::size_t i) const;
  double max_value() const;                     // largest finite element magnitude in units of the scale
  int scale_emax() const;                       // emax used for the MX shared exponent (MXINT: 0)
};

std::span<const FormatTraits> format_table();
const FormatTraits& traits(Format f);
// Finds a format by its spec name; throws std::invalid_argument naming every known format.
const FormatTraits& find_format(std::string_view name);
std::string format_names(std::string_view sep = ", ");
std::string_view family_name(Family f);
std::string_view scale_name(ScaleType s);

// Resolves cfg.block (0 -> default) and validates it; throws std::invalid_argument on a bad size.
int resolve_block(const FormatTraits& t, const QuantConfig& cfg);

// Fake quantization out = decode(encode(in)), blocks = consecutive runs of `block` values of the flat array
// (a trailing partial block is padded with zeros for its scale). in and out may alias.
void fake_quantize(Format f, std::span<const float> in, std::span<float> out, const QuantConfig& cfg = {});
void fake_quantize_ref(Format f, std::span<const float> in, std::span<float> out, const QuantConfig& cfg = {});
// A copy of `in` in which every block (of `block` values) whose largest |x| is a float32 subnormal is replaced
// by zeros of the same signs: microxcaling's flush_fp32_subnorms, A * (floor(log2(amax)) > -127).
std::vector<float> flush_subnormal_blocks(std::span<const float> in, std::size_t block);

}  // namespace mxlab

namespace mxlab {
// LLM-FP4 (Liu et al. 2023, eq. 2): maxval = (2 - 2^-M) * 2^(2^E - 1 - b) for a real-valued bias b.
double llmfp4_maxval(int ebits, int mbits, double bias);
// The real-valued bias b an FP32 group scale s stands for: quantizing x/s with the default bias equals
// quantizing x with bias b = b_default - log2(s) (all-finite elements: E2M1, E1M2, E3M0, E3M2, E2M3).
double llmfp4_bias(Elem e, float scale);
}  // namespace mxlab
