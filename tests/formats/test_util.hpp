// Helpers shared by the formats tests: bitwise float comparison, seeded inputs.
#pragma once
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "formats/format.hpp"

namespace mxlab::test {

inline std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }

// First index where a and b differ bit for bit, or -1.
inline long first_bit_mismatch(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (bits(a[i]) != bits(b[i])) return static_cast<long>(i);
  return -1;
}

inline ::testing::AssertionResult bit_equal(std::span<const float> got, std::span<const float> want,
                                            std::span<const float> in = {}) {
  const long i = first_bit_mismatch(got, want);
  if (i < 0) return ::testing::AssertionSuccess();
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  auto r = ::testing::AssertionFailure() << "index " << i << ": got " << got[i] << " (0x" << std::hex << bits(got[i])
                                         << ") want " << want[i] << " (0x" << bits(want[i]) << std::dec << ")";
  if (!in.empty()) r << " for input " << in[i] << " (0x" << std::hex << bits(in[i]) << std::dec << ")";
  return r;
}

// Gaussian blocks scaled by 2^k per block, with occasional outliers: the typical LLM tensor shape.
inline std::vector<float> random_blocks(std::size_t n, int block, std::uint32_t seed, int kmin = -40, int kmax = 40) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::uniform_int_distribution<int> k(kmin, kmax), pick(0, 31);
  std::vector<float> x(n);
  float scale = 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (i % block == 0) scale = std::ldexp(1.f, k(rng));
    x[i] = g(rng) * scale * (pick(rng) == 0 ? 50.f : 1.f);
  }
  return x;
}

inline const std::vector<Round>& all_rounds() {
  static const std::vector<Round> r{Round::even, Round::nearest, Round::floor, Round::stochastic};
  return r;
}

// Every scalar format (a rounding rule per value). The VQ rows (a learned codebook per block, whose fast path is
// the reference codec itself) are checked in vq_format_test.cpp.
inline std::vector<Format> scalar_formats() {
  std::vector<Format> v;
  for (const auto& t : format_table())
    if (t.family != Family::vq) v.push_back(t.id);
  return v;
}
inline std::string format_param_name(const ::testing::TestParamInfo<Format>& info) { return traits(info.param).name; }

inline std::string label(Format f, Round r) { return std::string(traits(f).name) + "/" + std::string(round_name(r)); }

}  // namespace mxlab::test
