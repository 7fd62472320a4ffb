// Per-decoder-layer details of a PTQ run for the result store: how far the quantized model's residual stream is
// from FP32's after each decoder layer, each layer's exact weight storage, and per-layer importance (LSAQ).
#pragma once
#include <optional>
#include <vector>

#include "algorithms/ptq_run.hpp"
#include "experiments/point_stage.hpp"

namespace mxlab::experiments {

// Relative error of the residual stream after decoder layer l, ||h_q - h_fp32||_F / ||h_fp32||_F, both models run
// from the same token embeddings over the first `max_windows` windows of seq_len tokens of the session's first
// evaluation text (the deployed model as evaluated: quantized weights, activation hooks, exact GEMMs; its
// stochastic-rounding streams are not the evaluation's). Chosen over per-linear output errors because the
// residual stream is the one activation no PTQ transform rescales (SmoothQuant/AWQ fold scales into RMSNorm
// weights and v/up rows, so a linear's output is not comparable with FP32's), and over per-layer KL because it
// costs 2 x max_windows forwards, not one evaluation per layer. Empty when the text has under 2 tokens.
std::vector<double> residual_rel_errors(const algorithms::PtqSession& session, const algorithms::PtqRunResult& r,
                                        std::size_t max_windows = 4);

// Per-layer importance scores when the pipeline produced them (PtqRunResult::layer_importance: LSAQ's logit-lens
// importance, for lsaq and lsaq+X); nullopt for every other pipeline, so the blocks table has no importance column
// there rather than a column of zeros (0 would claim "this layer changes nothing").
std::optional<std::vector<double>> layer_importance(const algorithms::PtqRunResult& r);

// The per-decoder-layer table: names "layers.<l>", columns residual_rel_error, bits (sum over the layer's
// quantized linears), weights, bits_per_weight, and importance when layer_importance has it.
LayerTable block_table(const algorithms::PtqSession& session, const algorithms::PtqRunResult& r);

}  // namespace mxlab::experiments
