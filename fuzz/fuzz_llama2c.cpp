// Fuzzes the llama2.c checkpoint loader (v0 legacy, v1, v2 Q8_0) through a scratch file.
#include <cstdint>
#include <exception>

#include "fuzz/fuzz_util.hpp"
#include "model/llama2c_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const mxlab::fuzz::ScratchFile file("model.bin");
  try {
    (void)mxlab::model::load_llama2c(file.write(data, size));
  } catch (const std::exception&) {
  }
  return 0;
}
