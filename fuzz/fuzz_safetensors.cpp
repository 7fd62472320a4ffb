// Fuzzes the safetensors reader: header parsing and reading every tensor (F32/F16/BF16 widening, U8 bytes).
#include <cstdint>
#include <exception>

#include "fuzz/fuzz_util.hpp"
#include "model/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const mxlab::fuzz::ScratchFile file("model.safetensors");
  try {
    const mxlab::model::SafetensorsReader r(file.write(data, size));
    for (const auto& [name, info] : r.tensors()) {
      try {
        if (info.dtype == mxlab::model::Dtype::u8) (void)r.read_u8(name);
        else (void)r.read_f32(name);
      } catch (const std::exception&) {
      }
    }
  } catch (const std::exception&) {
  }
  return 0;
}
