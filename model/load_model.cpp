// Checkpoint format dispatch by path kind.
#include "model/load_model.hpp"

#include "model/hf_format.hpp"
#include "model/llama2c_format.hpp"

#include <stdexcept>

namespace mxlab::model {

LoadMode parse_load_mode(const std::string& name) {
  if (name == "off") return LoadMode::resident;
  if (name == "on") return LoadMode::streamed;
  if (name == "auto") return LoadMode::automatic;
  throw std::invalid_argument("--stream " + name + ": expected on, off or auto");
}

ModelWeights load_model(const std::filesystem::path& path, LoadMode mode) {
  const bool hf = std::filesystem::is_directory(path) || path.extension() == ".safetensors";
  if (!hf && mode == LoadMode::streamed)
    throw std::invalid_argument(path.string() + ": streaming needs a Hugging Face safetensors checkpoint (llama2.c "
                                "files load resident: --stream off)");
  if (!hf) return load_llama2c(path);
  if (mode == LoadMode::automatic) {  // decide from config.json alone: FP32 bytes of the decoder layers
    const ModelConfig c = read_hf_config(path);
    const auto per_layer = static_cast<std::uint64_t>(c.dim) * (2ull * c.q_dim() + 2ull * c.kv_dim() + 3ull * c.hidden_dim);
    mode = per_layer * 4 * static_cast<std::uint64_t>(c.n_layers) > kStreamAboveBytes ? LoadMode::streamed : LoadMode::resident;
  }
  return load_hf(path, mode == LoadMode::streamed);
}

}  // namespace mxlab::model
