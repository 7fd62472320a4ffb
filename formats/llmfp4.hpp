// LLM-FP4's floating-point quantizer with a real-valued exponent bias (Liu et al. 2023, eq. 2-3), the reference
// beside the fp_group codec that stores the same bias as an FP32 scale (llmfp4_bias in format.hpp).
#pragma once
#include "formats/element.hpp"

namespace mxlab {

// The reference quantizer, as nbasyl/LLM-FP4 get_scale: E = ebits, M = mbits, real bias b;
// maxval = (2 - 2^-M) 2^(2^E - 1 - b); x clipped to +-maxval; e = max(floor(log2|x| + b), 1);
// scale = 2^(e - M - b); result round_half_even(x / scale) * scale (in double; 0 stays 0 with its sign).
// (The issue writes floor(log2|x|) + b; with a real b the reference floors the sum, which is what keeps the grid
// a 2^-b multiple of the bias-0 FP grid.)
double llmfp4_quantize(double x, int ebits, int mbits, double bias);

// The FP32 scale that stands for bias b on element type e (all-finite FP elements): s = fl32(2^(b_e - b)),
// b_e the element's own bias. Quantizing x / s in e (the fp_group codec) equals llmfp4_quantize(x, E, M, b)
// whenever x / s is exact (tested exhaustively over the codes).
float llmfp4_scale(Elem e, double bias);

// The fp_group codec's element path for one value against a given scale s > 0: fl32(decode(encode_ref(fl32(x / s),
// round half to even)) * s), saturating at max_normal: what block_codecs' elements_group/decode_group compute.
float quantize_with_scale(Elem e, float x, float s);

}  // namespace mxlab
