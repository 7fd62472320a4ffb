// Rounding modes and the one rounding rule every element family uses (reference paths and oracle alike).
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>

namespace mxlab {

enum class Round : std::uint8_t {
  even,        // round half to even (the OCP MX / IEEE default)
  nearest,     // round half away from zero (microxcaling's "nearest")
  floor,       // toward zero (truncate the magnitude; microxcaling's "floor")
  stochastic,  // round the magnitude up with probability floor(frac * 2^24) / 2^24, seeded per element
};

std::string_view round_name(Round r);
// Parses "even" | "nearest" | "floor" | "stochastic"; throws std::invalid_argument listing the choices.
Round parse_round(std::string_view name);

// murmur3's 32-bit finalizer: a bijective mix used to derive per-element random bits.
constexpr std::uint32_t mix32(std::uint32_t h) {
  h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16;
  return h;
}
constexpr std::uint32_t stochastic_key(std::uint64_t seed) {
  return mix32(static_cast<std::uint32_t>(seed) ^ mix32(static_cast<std::uint32_t>(seed >> 32) + 0x9e3779b9u));
}
// The 24 random bits that decide stochastic rounding of the element at flat index `index`
// (index taken modulo 2^32). Depends only on (seed, index), so every path draws the same bits.
constexpr std::uint32_t stochastic_u24(std::uint32_t key, std::uint64_t index) {
  return mix32(static_cast<std::uint32_t>(index) ^ key) >> 8;
}

// Rounds a non-negative magnitude r, expressed in units of the grid step, to an integer.
// r must be the exact magnitude (a scaled float32: see block_codecs.cpp); u24 is used by stochastic only.
inline long double round_magnitude(long double r, Round mode, std::uint32_t u24) {
  const long double t = std::floor(r);
  const long double f = r - t;  // exact: r has at most 64 significant bits and t is its integer part
  switch (mode) {
    case Round::even: return (f > 0.5L || (f == 0.5L && std::fmod(t, 2.0L) != 0)) ? t + 1 : t;
    case Round::nearest: return f >= 0.5L ? t + 1 : t;
    case Round::floor: return t;
    case Round::stochastic: return static_cast<long double>(u24) < std::floor(std::ldexp(f, 24)) ? t + 1 : t;
  }
  return t;
}

}  // namespace mxlab
