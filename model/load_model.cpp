// Checkpoint format dispatch by path kind.
#include "model/load_model.hpp"

#include "model/hf_format.hpp"
#include "model/llama2c_format.hpp"

#include <stdexcept>
#include <string>

namespace mxlab::model {

LoadMode parse_load_mode(const std::string& name) {
  if (name == "off") return LoadMode::resident;
  if (name == "on") return LoadMode::streamed;
  if (name == "auto") return LoadMode::automatic;
  throw std::invalid_argument("--stream " + name + ": expected on, off or auto");
}

namespace {
// A NaN or Inf weight is a corrupt checkpoint: every result computed from it would be NaN (a silently wrong number).
// Checks what is resident (a streamed model's block linear weights are checked by no one here: they stay in the
// file; their biases are resident).
void reject_non_finite(const ModelWeights& w, const std::filesystem::path& path) {
  auto check = [&](const auto& t, const std::string& name) {
    if (!t.allFinite())
      throw std::runtime_error(path.string() + ": tensor " + name + " holds NaN or Inf values (corrupt checkpoint?)");
  };
  check(w.token_embedding, "token_embedding");
  check(w.rms_final, "rms_final");
  for (std::size_t l = 0; l < w.layers.size(); ++l) {
    check(w.layers[l].rms_att, "layers." + std::to_string(l) + ".rms_att");
    check(w.layers[l].rms_ffn, "layers." + std::to_string(l) + ".rms_ffn");
  }
  for (const LinearId id : w.linear_ids()) {
    const bool resident = !w.streamed || id.kind == LinearKind::classifier;
    if (resident) check(w.linear(id).weight, linear_name(id));
    check(w.bias(id), linear_name(id) + ".bias");
  }
}

ModelWeights load_checked(ModelWeights w, const std::filesystem::path& path) {
  reject_non_finite(w, path);
  return w;
}
}  // namespace

ModelWeights load_model(const std::filesystem::path& path, LoadMode mode) {
  const bool hf = std::filesystem::is_directory(path) || path.extension() == ".safetensors";
  if (!hf && mode == LoadMode::streamed)
    throw std::invalid_argument(path.string() + ": streaming needs a Hugging Face safetensors checkpoint (llama2.c "
                                "files load resident: --stream off)");
  if (!hf) return load_checked(load_llama2c(path), path);
  if (mode == LoadMode::automatic) {  // decide from config.json alone: FP32 bytes of the decoder layers
    const ModelConfig c = read_hf_config(path);
    const auto per_layer = static_cast<std::uint64_t>(c.dim) * (2ull * c.q_dim() + 2ull * c.kv_dim() + 3ull * c.hidden_dim);
    mode = per_layer * 4 * static_cast<std::uint64_t>(c.n_layers) > kStreamAboveBytes ? LoadMode::streamed : LoadMode::resident;
  }
  return load_checked(load_hf(path, mode == LoadMode::streamed), path);
}

}  // namespace mxlab::model
