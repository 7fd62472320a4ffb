// LLM-FP4 (Liu et al. 2023, arXiv 2310.16836; reference nbasyl/LLM-FP4): per-output-channel real-valued exponent
// bias of FP weights found by a search on the layer's output error, the E/M split searched too, and the
// activations' per-tensor bias with per-channel integer pre-shifts (llm_fp4_preshift.hpp).
#pragma once
#include <vector>

#include "algorithms/ptq.hpp"
#include "formats/element.hpp"

namespace mxlab::algorithms {

// One E/M split of a bit width: the element, its fp_group format (FP32 scale = the real-valued bias).
struct FpSplit {
  Elem elem;
  Format format;
  int ebits, mbits;
};
// The splits LLM-FP4 searches for `bits` (4: E3M0, E2M1, E1M2; 6: E3M2, E2M3; 8: E4M3, the fp_group
// elements of the table); throws std::invalid_argument for other widths.
std::vector<FpSplit> fp_splits(int bits);
// The split of an fp_group format; throws std::invalid_argument for other formats.
FpSplit fp_split_of(Format f);

// Bias candidates b0 * (lo + k (hi - lo) / (n - 1)), k = 0..n-1 (the reference's eq_alpha/eq_beta/eq_n; the
// issue's linspace(0.01, 1.2, 101)).
struct BiasGrid {
  double lo = 0.01, hi = 1.2;
  int n = 101;
  double at(int k) const { return n == 1 ? hi : lo + k * (hi - lo) / (n - 1); }
};
// The bias whose maxval is amax: b0 = 2^E - log2(amax) + log2(2 - 2^-M) - 1 (the reference's initial interval).
double initial_bias(int ebits, int mbits, double amax);

// Output error of one linear per output row for a candidate weight row q, on calibration inputs x (what the FP
// layer sees) and xq (what the deployed layer multiplies, x quantized in its activation format; = x without):
// ||xq q - x w_o||^2 = q^T A q - 2 q^T b_o + c_o, A = xq^T xq, b_o = xq^T x w_o, c_o = w_o^T x^T x w_o (double).
struct RowErrorModel {
  Eigen::MatrixXd A, b;  // cols x cols; rows x cols (row o = b_o)
  Eigen::VectorXd c;     // rows
  RowErrorModel(const Matrix& x, const Matrix& xq, const Matrix& w);
  // Per row: the squared output error of the rows of q (rows x cols).
  Eigen::VectorXd errors(const Matrix& q) const;
};

struct RowBiasSearch {
  FpSplit split;
  std::vector<float> scales;   // per row: the FP32 scale standing for the chosen bias (llmfp4_scale)
  std::vector<double> bias;    // per row: the chosen real-valued bias (0 for an all-zero row)
  Eigen::VectorXd error;       // per row: its output error
  double total() const { return error.sum(); }
};
// Per output row: the bias among b0_o * grid with the least output error (weights quantized by the fp_group codec
// against the bias's FP32 scale).
RowBiasSearch search_row_biases(const Matrix& w, const FpSplit& split, const RowErrorModel& m, const BiasGrid& grid = {});
// w's rows quantized in split's element, row o against scales[o] (the fp_group codec: decode(encode(w / s)) * s).
Matrix quantize_with_row_scales(const Matrix& w, Elem e, const std::vector<float>& scales);

}  // namespace mxlab::algorithms
