// Fuzzes the CLI's tensor reader (apps/tensor_io): the input as a .npy file and as a raw .f32 file.
#include <cstdint>
#include <exception>

#include "apps/tensor_io.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const mxlab::fuzz::ScratchFile npy("tensor.npy"), raw("tensor.f32");
  for (const auto* file : {&npy, &raw}) {
    try {
      const auto t = mxlab::cli::read_tensor(file->write(data, size));
      std::size_t count = 1;
      for (auto d : t.shape) count *= d;
      if (count != t.values.size()) __builtin_trap();  // the shape must describe exactly the values read
      (void)mxlab::cli::tensor_file_bytes(file->path(), t);
    } catch (const std::exception&) {
    }
  }
  return 0;
}
