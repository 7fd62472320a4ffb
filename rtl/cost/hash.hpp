// Content hash for the cost cache: 128-bit FNV-1a (two 64-bit lanes with different offsets) over bytes and files.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace mxlab::cost {

class ContentHash {
 public:
  ContentHash& add(std::string_view bytes);           // length-prefixed, so ("ab","c") != ("a","bc")
  ContentHash& add_file(const std::string& path);     // the path's contents; throws when unreadable
  std::string hex() const;                            // 32 hex digits

 private:
  std::uint64_t a_ = 0xcbf29ce484222325ull, b_ = 0x84222325cbf29ce4ull;
};

}  // namespace mxlab::cost
