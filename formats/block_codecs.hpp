// Reference block codecs of each format family (the functions the traits table points to).
#pragma once
#include <span>

#include "formats/format.hpp"

namespace mxlab::codecs {

// Each family: the block scale from the values (scale_*), the element codes given that scale (elements_*),
// and the decoder. encode = scale then elements.
void scale_mx(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void elements_mx(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_mx(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
void scale_nvfp4(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void elements_nvfp4(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_nvfp4(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
void scale_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block);     // INT and FP groups
void elements_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block);  // INT and FP groups
void decode_group(const BlockContext& c, const std::uint8_t* block, std::span<float> out);       // INT and FP groups
void scale_int_asym(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void elements_int_asym(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_int_asym(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
// VQ (formats/vq_codecs.cpp): the codebook fit is the "scale", the nearest-codeword indices the "elements".
void scale_vq(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void elements_vq(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_vq(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
std::int8_t vq_lane_entry(const FormatTraits& t, const std::uint8_t* block, std::size_t i);  // entry lane i selects

// Largest finite |x| of a block, and whether a NaN or an infinity is in it.
struct Amax {
  float amax = 0;
  bool special = false;
};
Amax block_amax(std::span<const float> x);

// Per-block scales, shared by the reference codecs and the fast paths.
std::uint8_t nvfp4_block_scale(float amax, float tensor_scale);  // UE4M3 code of fl32(amax / fl32(6 * g))
float nvfp4_divisor(std::uint8_t scale, float tensor_scale);      // fl32(scale * g)
float group_scale(const FormatTraits& t, float amax);            // fl32(amax / max_normal)
struct AsymParams { float scale; int zero; };                    // GPTQ: s = fl32(fl32(hi - lo) / maxq), z
AsymParams asym_params(std::span<const float> x, int bits);

// nvfp4's second-level scale: amax over the finite values / (6 * 448), as float32 (1 if that is 0 or not finite).
float nvfp4_tensor_scale(std::span<const float> x);
// The tensor scale quantizing x under cfg: cfg.tensor_scale_value when set, else nvfp4_tensor_scale(x); 1 without
// cfg.tensor_scale.
float nvfp4_tensor_scale(std::span<const float> x, const QuantConfig& cfg);

// Fast paths, one per family (AVX2 kernels on formats/simd_avx2.hpp; tests/formats compare them with the
// reference bit for bit): MX (block_quant_fast.cpp), NVFP4 and symmetric INT/FP groups (group_quant_fast.cpp),
// asymmetric INT groups (asym_quant_fast.cpp).
void fake_quant_fast_mx(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg);
void fake_quant_fast_nvfp4(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                           const QuantConfig& cfg);
void fake_quant_fast_group(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                           const QuantConfig& cfg);
void fake_quant_fast_int_asym(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                              const QuantConfig& cfg);
// The reference codec as a fake-quant function (encode_ref then decode).
void fake_quant_by_reference(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                             const QuantConfig& cfg);

}  // namespace mxlab::codecs
