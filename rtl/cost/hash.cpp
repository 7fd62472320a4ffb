// 128-bit FNV-1a content hash (hash.hpp).
#include "rtl/cost/hash.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mxlab::cost {
namespace {
constexpr std::uint64_t kPrime = 0x100000001b3ull;
}

ContentHash& ContentHash::add(std::string_view bytes) {
  auto mix = [&](unsigned char c) {
    a_ = (a_ ^ c) * kPrime;
    b_ = (b_ ^ c) * kPrime;
    b_ ^= b_ >> 29;  // decorrelate the second lane from the first
  };
  const std::uint64_t n = bytes.size();
  for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(n >> (8 * i)));
  for (char c : bytes) mix(static_cast<unsigned char>(c));
  return *this;
}

ContentHash& ContentHash::add_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + " (an input of the cost cache key)");
  std::stringstream ss;
  ss << in.rdbuf();
  return add(ss.str());
}

std::string ContentHash::hex() const {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a_),
                static_cast<unsigned long long>(b_));
  return buf;
}

}  // namespace mxlab::cost
