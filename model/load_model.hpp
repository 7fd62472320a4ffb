// Loads any supported checkpoint: a llama2.c .bin file or a Hugging Face directory / .safetensors file.
#pragma once
#include <filesystem>

#include "model/weights.hpp"

namespace mxlab::model {

// Directories and *.safetensors go to load_hf, everything else to load_llama2c.
ModelWeights load_model(const std::filesystem::path& path);

}  // namespace mxlab::model
