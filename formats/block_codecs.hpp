// Reference block codecs of each format family (the functions the traits table points to).
#pragma once
#include <span>

#include "formats/format.hpp"

namespace mxlab::codecs {

void encode_mx(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_mx(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
void encode_nvfp4(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_nvfp4(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
void encode_int_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_int_group(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
void encode_int_asym(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_int_asym(const BlockContext& c, const std::uint8_t* block, std::span<float> out);
void encode_fp_group(const BlockContext& c, std::span<const float> x, std::uint8_t* block);
void decode_fp_group(const BlockContext& c, const std::uint8_t* block, std::span<float> out);

// nvfp4's second-level scale: amax over the finite values / (6 * 448), as float32 (1 if that is 0 or not finite).
float nvfp4_tensor_scale(std::span<const float> x);

// Fast paths (block_quant_fast.cpp).
void fake_quant_fast_mx(const FormatTraits& t, std::span<const float> in, std::span<float> out, const QuantConfig& cfg);
// Formats without a dedicated fast kernel: the reference codec, parallel over blocks.
void fake_quant_by_reference(const FormatTraits& t, std::span<const float> in, std::span<float> out,
                             const QuantConfig& cfg);

}  // namespace mxlab::codecs
