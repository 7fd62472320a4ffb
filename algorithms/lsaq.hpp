// LSAQ (Zeng et al. 2024, "LSAQ: Layer-Specific Adaptive Quantization for Large Language Model Deployment"):
// layer importance by the logit lens, and the choice of each decoder layer's weight format under a bit budget.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/runtime.hpp"

namespace mxlab::algorithms {

// Importance of every decoder layer: the hidden states at its input and output, each projected through the final
// RMSNorm and classifier (logit lens), give top-k token sets per position; importance = 1 - |A n B| / |A u B|
// averaged over the positions of the calibration windows (ctx tokens each, tail dropped; 0 = seq_len). Runs
// `rt` as it is (its scheme's hooks apply); k in [1, vocab]. Ties in the top k go to the smaller token id.
std::vector<double> logit_lens_importance(const model::Runtime& rt, std::span<const int> calib, int ctx, int k);

// Multiple-choice knapsack: one candidate per layer, total cost <= budget, minimum total loss (summed in layer
// order). cost[l][c] in bits, loss[l][c] >= 0 (LSAQ: importance_l x the layer's relative weight error in c).
struct AllocationProblem {
  std::vector<std::vector<std::uint64_t>> cost;
  std::vector<std::vector<double>> loss;
  std::uint64_t budget = 0;
};
struct Allocation {
  std::vector<int> choice;  // candidate per layer
  std::uint64_t cost = 0;
  double loss = 0;
};
// All throw std::invalid_argument when even the cheapest allocation exceeds the budget (or on a malformed problem).
// Exact: dynamic programming over layers keeping the Pareto front of (cost, loss) partial allocations.
Allocation allocate_exact(const AllocationProblem& p);
// Greedy: from the cheapest candidate of every layer, repeatedly the upgrade with the largest loss decrease per
// extra bit that still fits, until none does.
Allocation allocate_greedy(const AllocationProblem& p);
// Random (a baseline, blind to the loss): each layer at a uniformly drawn cheapest candidate, then upgrades to a
// strictly more expensive candidate drawn uniformly among those that fit, until none does.
Allocation allocate_random(const AllocationProblem& p, std::uint64_t seed);

// A budget: "<x>bpw" (mean bits per weight over the quantized linears) or "<n>B" (bytes); returns bits for
// `weights` weights. Throws std::invalid_argument naming the forms.
std::uint64_t parse_budget(std::string_view text, std::uint64_t weights);
// The pipeline with budget=<budget> added to its lsaq step (`ptq --budget`); throws when there is no lsaq step
// or it already has a budget.
std::string with_budget(std::string_view pipeline, std::string_view budget);

}  // namespace mxlab::algorithms
