// Checkpoint format dispatch by path kind.
#include "model/load_model.hpp"

#include "model/hf_format.hpp"
#include "model/llama2c_format.hpp"

namespace mxlab::model {

ModelWeights load_model(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path) || path.extension() == ".safetensors") return load_hf(path);
  return load_llama2c(path);
}

}  // namespace mxlab::model
