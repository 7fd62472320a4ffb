// Model/tokenizer/text paths shared by the model commands: defaults under the data directory.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "model/tokenizer.hpp"
#include "model/weights.hpp"

namespace mxlab::cli {

struct ModelArgs {
  std::string data_dir, model, tokenizer, text;
};

// An omitted path defaults to <data>/<fallback>; a relative path that does not exist here is tried under <data>.
std::filesystem::path resolve(const std::string& given, const std::string& fallback, const std::string& data_flag);
void add_paths(CLI::App* cmd, ModelArgs& a, bool model, bool text);
std::shared_ptr<model::ModelWeights> load(const ModelArgs& a);
model::Tokenizer tokenizer(const ModelArgs& a);
std::filesystem::path text_path(const ModelArgs& a);

}  // namespace mxlab::cli
