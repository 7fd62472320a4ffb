// Little-endian binary file reading and writing with errors that name the file and the field.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace mxlab::model {

class BinaryReader {
 public:
  explicit BinaryReader(const std::filesystem::path& path);
  std::uint64_t size() const { return size_; }
  std::uint64_t position() const { return pos_; }
  const std::string& name() const { return name_; }
  // Reads n bytes into dst; throws std::runtime_error "<file>: truncated while reading <what> ..." on EOF.
  void read(void* dst, std::uint64_t n, const std::string& what);
  template <class T>
  T value(const std::string& what) {
    T v;
    read(&v, sizeof(T), what);
    return v;
  }
  void seek(std::uint64_t offset);
  void skip(std::uint64_t n, const std::string& what);
  // Throws "<file>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::ifstream in_;
  std::string name_;
  std::uint64_t size_ = 0;
  std::uint64_t pos_ = 0;
};

}  // namespace mxlab::model
