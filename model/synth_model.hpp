// Llama-shaped Hugging Face checkpoints with random weights, to measure memory and speed at real model sizes
// without downloading one (accuracy needs real weights: these models predict noise).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "model/safetensors.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

// "tinyllama-1.1b", "llama-7b" (Llama-2-7B), "stories260K", or "dim,hidden,layers,heads,kv_heads,vocab" (seq_len
// 2048, separate lm_head). Throws std::invalid_argument naming the accepted forms.
ModelConfig synth_shape(const std::string& name);

struct SynthOptions {
  Dtype dtype = Dtype::bf16;
  std::uint64_t seed = 1;
  std::uint64_t max_shard_bytes = 5'000'000'000;  // transformers save_pretrained's default max_shard_size "5GB"
};

// Writes `dir`/config.json and model.safetensors, or above max_shard_bytes the shards
// model-0000i-of-0000n.safetensors (tensors in state-dict order, a new shard when the next tensor would overflow)
// with model.safetensors.index.json, as save_pretrained lays them out. Weights: linears uniform with standard
// deviation 1/sqrt(fan_in) (activations keep their scale through each layer), the embedding 1/sqrt(dim) (real
// Llama embeddings are about that: 0.02 at dim 2048; a tied classifier then gives logits of unit scale), RMSNorm
// weights 1; each tensor drawn from its own stream (seed, name), so values do not depend on sharding.
// Streams chunk by chunk (memory independent of model size) into a temporary directory renamed onto `dir` at the
// end; throws std::invalid_argument when `dir` exists and is not empty. Returns the bytes of weights written.
std::uint64_t write_synth_model(const std::filesystem::path& dir, const ModelConfig& c, const SynthOptions& opt = {});

}  // namespace mxlab::model
