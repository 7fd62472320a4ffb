// AWQ's scale search for one group of linears sharing an input, exposed for tests and studies (the `awq` step
// runs it for every group of every layer, see awq.cpp).
#pragma once
#include <vector>

#include "algorithms/ptq.hpp"

namespace mxlab::algorithms {

// The module whose output judges a group's scales: the attention sub-block (q/k/v), the MLP (gate/up), or the
// group's single linear (v -> o, up -> down).
enum class AwqModule { attention, mlp, linear };

struct AwqScaleSearch {
  model::Vector scales;         // the chosen s (ones when no ratio beats the first)
  int ratio = 0;                // the chosen grid index r (ratio r / grid)
  std::vector<double> losses;   // per r: mean squared error of the module output against the FP module
};

// auto_scale_block for the group `kinds` of `layer` (inputs x, windows of ctx.ctx rows): for r = 0..grid-1,
// s = mean|x|^(r/grid) / sqrt(max * min), judged by the error of the module's output with weights Q(W s) against
// the FP module. Without act_quant the candidate multiplies x by Q(W s) / s (llm-awq). With act_quant each linear
// of the module multiplies its input quantized in its activation format (ctx.scheme), the group's linears
// Q_a(x / s) · Q(W s)^T: the layer as deployed, s folded into the predecessor.
AwqScaleSearch awq_search_scales(const PtqContext& ctx, int grid, int layer, const std::vector<model::LinearKind>& kinds,
                                 AwqModule module, const model::Matrix& x, bool act_quant);

}  // namespace mxlab::algorithms
