// Fuzzes the llama2.c tokenizer loader, then encodes and decodes a little text with whatever vocabulary loaded.
#include <cstdint>
#include <exception>

#include "fuzz/fuzz_util.hpp"
#include "model/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const mxlab::fuzz::ScratchFile file("tokenizer.bin");
  try {
    const mxlab::model::Tokenizer tok(file.write(data, size));
    const auto ids = tok.encode("Once upon a time \xc3\xa9\xff", true, true);
    if (ids != tok.encode_reference("Once upon a time \xc3\xa9\xff", true, true)) __builtin_trap();
    (void)tok.decode(ids);
  } catch (const std::exception&) {
  }
  return 0;
}
