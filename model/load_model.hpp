// Loads any supported checkpoint: a llama2.c .bin file or a Hugging Face directory / .safetensors file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "model/weights.hpp"

namespace mxlab::model {

// How a checkpoint's decoder layers are held: resident in FP32, or streamed (load_hf's `stream`: read from the
// memory-mapped file one layer at a time while computed; HF safetensors only). automatic streams an HF checkpoint
// whose decoder layers take more than kStreamAboveBytes in FP32.
enum class LoadMode { resident, streamed, automatic };
inline constexpr std::uint64_t kStreamAboveBytes = 2ull << 30;
LoadMode parse_load_mode(const std::string& name);  // "off", "on", "auto"; throws std::invalid_argument

// Directories and *.safetensors go to load_hf, everything else to load_llama2c (always resident; `streamed`
// throws std::invalid_argument for it).
ModelWeights load_model(const std::filesystem::path& path, LoadMode mode = LoadMode::resident);

}  // namespace mxlab::model
