// AWEQ (activation-weight equalization with bias correction), its two steps exposed for tests and studies (the
// `aweq` pipeline step runs them on every layer, see aweq.cpp).
#pragma once
#include "algorithms/ptq.hpp"

namespace mxlab::algorithms {

// Per input channel c: s_c = sqrt(r_x(c) / r_w(c)), r = max - min of the activation channel over the calibration
// rows x and of the weight column over the rows of `weights` (the linears sharing the input). A channel with a
// zero range on either side keeps s_c = 1. Dividing x by s and multiplying W's columns by s gives both the range
// sqrt(r_x r_w).
model::Vector equalization_scales(const model::Matrix& x, const std::vector<const model::Matrix*>& weights);

// Bias correction: E[x W^T] - E[xq wq^T] over the rows (x: the layer's input, xq: what the deployed layer
// multiplies, wq: the quantized weight), in double; added to the linear's output bias it makes the mean output
// error on those rows zero.
model::Vector bias_correction(const model::Matrix& x, const model::Matrix& xq, const model::Matrix& w, const model::Matrix& wq);

}  // namespace mxlab::algorithms
