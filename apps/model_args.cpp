// Model/tokenizer/text path defaults for the model commands.
#include "apps/model_args.hpp"

#include "apps/commands.hpp"
#include "model/load_model.hpp"

namespace mxlab::cli {
namespace fs = std::filesystem;
using namespace mxlab::model;

fs::path resolve(const std::string& given, const std::string& fallback, const std::string& data_flag) {
  const fs::path data = data_dir(data_flag);
  if (given.empty()) return data / fallback;
  const fs::path p(given);
  if (p.is_relative() && !fs::exists(p) && fs::exists(data / p)) return data / p;
  return p;
}

void add_paths(CLI::App* cmd, ModelArgs& a, bool model, bool text) {
  cmd->add_option("--data-dir", a.data_dir, "Data directory (default $MXLAB_DATA or the build-time default)");
  if (model) cmd->add_option("--model", a.model, "llama2.c .bin or HF safetensors dir (default models/stories260K.bin)");
  cmd->add_option("--tokenizer", a.tokenizer, "llama2.c tokenizer.bin (default models/tok512.bin)");
  if (text) cmd->add_option("--text", a.text, "Text file (default text/tinystories-valid-dev.txt)");
}

fs::path model_path(const ModelArgs& a) { return resolve(a.model, "models/stories260K.bin", a.data_dir); }
fs::path tokenizer_path(const ModelArgs& a) { return resolve(a.tokenizer, "models/tok512.bin", a.data_dir); }
fs::path text_path(const ModelArgs& a) { return resolve(a.text, "text/tinystories-valid-dev.txt", a.data_dir); }
std::shared_ptr<ModelWeights> load(const ModelArgs& a, LoadMode mode) {
  return std::make_shared<ModelWeights>(load_model(model_path(a), mode));
}

void add_stream_option(CLI::App* cmd, std::string& stream) {
  cmd->add_option("--stream", stream,
                  "Read the decoder layers from the memory-mapped checkpoint one at a time while computed (HF only): "
                  "on, off, auto (on above 2 GiB of FP32 layer weights)")
      ->capture_default_str();
}
Tokenizer tokenizer(const ModelArgs& a) { return Tokenizer(tokenizer_path(a)); }

void add_gemm_options(CLI::App* cmd, GemmArgs& g) {
  cmd->add_option("--gemm", g.gemm, "Linear layers: fakequant (dequantize, float GEMM) or exact (hardware dot products)")
      ->capture_default_str();
  cmd->add_option("--acc", g.acc, "Accumulator of --gemm exact: fp32, bf16, fp16, fp64 or eXmY")->capture_default_str();
  cmd->add_flag("--tensor-scale", g.tensor_scale,
                "nvfp4: add the FP32 per-tensor scale amax / 2688 (one per weight matrix, one per activation tensor)");
}

void apply_gemm(const GemmArgs& g, QuantScheme& scheme) { set_gemm(scheme, g.gemm, g.acc, g.tensor_scale); }

}  // namespace mxlab::cli
