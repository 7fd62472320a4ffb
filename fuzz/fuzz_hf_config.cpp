// Fuzzes config.json reading of Hugging Face checkpoints (model/hf_format read_hf_config) in a scratch directory.
#include <cstdint>
#include <exception>
#include <filesystem>

#include "fuzz/fuzz_util.hpp"
#include "model/hf_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const mxlab::fuzz::ScratchFile dir("hf");
  static const mxlab::fuzz::ScratchFile config("hf/config.json");
  static const bool made = std::filesystem::create_directories(dir.path());
  (void)made;
  config.write(data, size);
  try {
    const auto c = mxlab::model::read_hf_config(dir.path());
    c.validate("fuzz");  // what read_hf_config returns must already be a consistent shape
  } catch (const std::exception&) {
  }
  return 0;
}
