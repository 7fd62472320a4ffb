// Fuzzes the MXLP packed-tensor decoder (formats/packed): deserialize + decode, and unpack_rows of raw bytes.
#include <cstdint>
#include <exception>
#include <span>

#include "formats/format.hpp"
#include "formats/packed.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    const auto p = mxlab::deserialize(bytes);
    const auto values = mxlab::decode(p);
    if (values.size() != p.count) __builtin_trap();
    if (mxlab::deserialize(mxlab::serialize(p)).bytes != p.bytes) __builtin_trap();  // round trip
  } catch (const std::exception&) {
  }
  // Row-packed weights: the first 3 bytes pick a format, a block and a shape; the rest are the packed rows.
  if (size >= 3) {
    const auto table = mxlab::format_table();
    const auto& t = table[data[0] % table.size()];
    const int block = data[1] % 2 ? t.default_block : data[1] % 70;
    const int rows = 1 + data[2] % 4;
    try {
      const int cols = static_cast<int>((size - 3) * 2 / rows) + 1;
      (void)mxlab::unpack_rows(t.id, block, bytes.subspan(3), rows, cols);
    } catch (const std::exception&) {
    }
  }
  return 0;
}
