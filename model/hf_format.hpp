// Hugging Face Llama/Mistral/Qwen2 checkpoints: config.json + model.safetensors (or sharded with an index).
#pragma once
#include <filesystem>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/quantized_checkpoint.hpp"
#include "model/safetensors.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

// `path` is a model directory (config.json + model.safetensors or model.safetensors.index.json) or a
// .safetensors file with config.json beside it. q_proj/k_proj rows (and Qwen2 biases) are un-permuted from HF's
// rotate_half layout to llama2.c's interleaved-pair layout, as llama2.c export.py permute_reverse does. Packed
// linears of a quantized checkpoint (model/quantized_checkpoint.hpp) load as their exact dequantized values.
// With `stream`, only the embedding, the RMSNorm weights and the classifier are loaded; the decoder layers' linears
// stay in the file (memory-mapped, in their own dtype) and are read and widened one layer at a time while the
// runtime computes that layer (ModelWeights::streamed).
ModelWeights load_hf(const std::filesystem::path& path, bool stream = false);
// The hyper-parameters in a checkpoint's config.json (path: the directory or a .safetensors file beside it).
ModelConfig read_hf_config(const std::filesystem::path& path);
// config.json's content for `c` (what read_hf_config reads back); qwen: Qwen2 architecture (q/k/v biases).
nlohmann::json hf_config_json(const ModelConfig& c, Dtype dtype, bool qwen = false);
// The tensors of a plain (unquantized, bias-free) checkpoint of shape `c` in HF's state-dict order (embedding,
// each layer's norms and linears, final norm, lm_head unless the classifier is shared): name and shape.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> hf_tensor_shapes(const ModelConfig& c);

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

// The pieces of save_hf, for writers that put a checkpoint out in shards (model/hf_shards.hpp): decoder layer l's
// tensors, or the embedding, final norm and lm_head (unless shared; throws when a shared classifier differs from
// the embedding), added to `st` in HF naming and layout (q/k rows permuted; a linear `quant` holds stored packed,
// its metadata entry added to the JSON object `entries`); the mxlab.quantization metadata of `quant` with those
// entries; config.json written into `dir`. add_hf_head adds the embedding and lm_head as views (not copied):
// `w` must outlive st.write().
void add_hf_layer(SafetensorsWriter& st, const ModelWeights& w, int l, Dtype dtype, const QuantizedCheckpoint* quant,
                  nlohmann::json& entries);
void add_hf_head(SafetensorsWriter& st, const ModelWeights& w, Dtype dtype, const QuantizedCheckpoint* quant,
                 nlohmann::json& entries);
std::string quantization_metadata(const QuantizedCheckpoint& quant, const nlohmann::json& entries);
void write_hf_config(const std::filesystem::path& dir, const ModelWeights& w, Dtype dtype);

// Row permutations of a q or k weight (rows = n_heads * head_size) between the two RoPE layouts.
// llama2c row (2j + a) of a head  <->  HF row (a * head_size/2 + j). Works on matrices and (n x 1) biases.
Matrix permute_hf_to_llama2c(const Matrix& w, int n_heads);
Matrix permute_llama2c_to_hf(const Matrix& w, int n_heads);

}  // namespace mxlab::model
