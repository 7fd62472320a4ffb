// LLM-FP4's real-valued-bias FP quantizer (reference) and the FP32 scale that stands for a bias in fp_group.
#include "formats/llmfp4.hpp"

#include <cmath>

#include "formats/format.hpp"

namespace mxlab {

double llmfp4_quantize(double x, int ebits, int mbits, double bias) {
  const double maxval = llmfp4_maxval(ebits, mbits, bias);
  const double c = std::fmin(std::fmax(x, -maxval), maxval);
  if (c == 0) return c;
  const double e = std::fmax(std::floor(std::log2(std::fabs(c)) + bias), 1.0);
  const double scale = std::exp2(e - mbits - bias);
  return std::nearbyint(c / scale) * scale;  // default rounding mode: half to even
}

float llmfp4_scale(Elem e, double bias) {
  return static_cast<float>(std::exp2(static_cast<double>(elem_spec(e).bias) - bias));
}

float quantize_with_scale(Elem e, float x, float s) {
  return static_cast<float>(decode_elem(e, encode_elem_ref(e, x / s, Round::even))) * s;
}

}  // namespace mxlab
