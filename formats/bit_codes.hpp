// Element codes packed LSB-first in a block's code area (the packed layout of formats/packed.hpp).
#pragma once
#include <cstddef>
#include <cstdint>

namespace mxlab {

// Element code i of a code area whose codes are `bits` wide: bits [i*bits, (i+1)*bits), LSB first.
inline std::uint32_t get_code(const std::uint8_t* codes, int bits, std::size_t i) {
  std::uint32_t v = 0;
  const std::size_t bit0 = i * static_cast<std::size_t>(bits);
  for (int b = 0; b < bits; ++b) {
    const std::size_t bit = bit0 + b;
    v |= static_cast<std::uint32_t>((codes[bit >> 3] >> (bit & 7)) & 1u) << b;
  }
  return v;
}

// Writes code i (its low `bits` bits), leaving every other bit of the area as it was.
inline void put_code(std::uint8_t* codes, int bits, std::size_t i, std::uint32_t code) {
  const std::size_t bit0 = i * static_cast<std::size_t>(bits);
  for (int b = 0; b < bits; ++b) {
    const std::size_t bit = bit0 + b;
    const auto mask = static_cast<std::uint8_t>(1u << (bit & 7));
    codes[bit >> 3] = ((code >> b) & 1u) ? (codes[bit >> 3] | mask) : (codes[bit >> 3] & ~mask);
  }
}

}  // namespace mxlab
