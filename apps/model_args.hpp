// Model/tokenizer/text paths shared by the model commands: defaults under the data directory.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "model/load_model.hpp"
#include "model/quant_scheme.hpp"
#include "model/tokenizer.hpp"
#include "model/weights.hpp"

namespace mxlab::cli {

struct ModelArgs {
  std::string data_dir, model, tokenizer, text;
};

// An omitted path defaults to <data>/<fallback>; a relative path that does not exist here is tried under <data>.
std::filesystem::path resolve(const std::string& given, const std::string& fallback, const std::string& data_flag);
void add_paths(CLI::App* cmd, ModelArgs& a, bool model, bool text);
std::filesystem::path model_path(const ModelArgs& a);
std::filesystem::path tokenizer_path(const ModelArgs& a);
std::filesystem::path text_path(const ModelArgs& a);
std::shared_ptr<model::ModelWeights> load(const ModelArgs& a, model::LoadMode mode = model::LoadMode::resident);
// --stream on|off|auto (default auto), as eval and generate take it (model::parse_load_mode reads the value).
void add_stream_option(CLI::App* cmd, std::string& stream);
model::Tokenizer tokenizer(const ModelArgs& a);

// How quantized linears multiply: --gemm fakequant|exact, --acc FORMAT (exact mode's accumulator) and
// --tensor-scale (nvfp4's second-level FP32 scale, one per tensor, on every nvfp4 quantizer).
struct GemmArgs {
  std::string gemm = "fakequant", acc = "fp32";
  bool tensor_scale = false;
};
void add_gemm_options(CLI::App* cmd, GemmArgs& g);
// Sets scheme.gemm, scheme.acc and the tensor scales (model::set_gemm; formats must be set first).
void apply_gemm(const GemmArgs& g, model::QuantScheme& scheme);

}  // namespace mxlab::cli
