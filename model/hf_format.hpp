// Hugging Face Llama/Mistral/Qwen2 checkpoints: config.json + model.safetensors (or sharded with an index).
#pragma once
#include <filesystem>

#include <optional>

#include "model/quantized_checkpoint.hpp"
#include "model/safetensors.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

// `path` is a model directory (config.json + model.safetensors or model.safetensors.index.json) or a
// .safetensors file with config.json beside it. q_proj/k_proj rows (and Qwen2 biases) are un-permuted from HF's
// rotate_half layout to llama2.c's interleaved-pair layout, as llama2.c export.py permute_reverse does. Packed
// linears of a quantized checkpoint (model/quantized_checkpoint.hpp) load as their exact dequantized values.
ModelWeights load_hf(const std::filesystem::path& path);
// The quantization a checkpoint carries (scheme, per linear format, block and scales in the runtime's row order),
// nullopt for a plain checkpoint or a llama2.c file.
std::optional<QuantizedCheckpoint> read_quantization(const std::filesystem::path& path);

// Writes `path`/config.json and `path`/model.safetensors (creating the directory), or, for a path ending in
// .safetensors, that file with config.json beside it; q/k rows are permuted to HF layout as HF's
// convert_llama_weights_to_hf.py permute does; lm_head.weight only when the classifier is not shared. With `quant`,
// its linears are stored packed (codes + scales, exact) and its scheme in the metadata; throws when a weight is
// off the grid of its recorded scales.
void save_hf(const ModelWeights& w, const std::filesystem::path& path, Dtype dtype = Dtype::f32,
             const QuantizedCheckpoint* quant = nullptr);

// Row permutations of a q or k weight (rows = n_heads * head_size) between the two RoPE layouts.
// llama2c row (2j + a) of a head  <->  HF row (a * head_size/2 + j). Works on matrices and (n x 1) biases.
Matrix permute_hf_to_llama2c(const Matrix& w, int n_heads);
Matrix permute_llama2c_to_hf(const Matrix& w, int n_heads);

}  // namespace mxlab::model
