// The one writer of every output file: bytes go to a unique temporary file beside the destination and are
// renamed onto it by commit(); an output never committed (an error on the way) leaves nothing behind.
// It sits in formats/, the bottom layer, so that every library and tool can use it.
#pragma once
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string_view>

namespace mxlab {

class AtomicFile {
 public:
  // Throws std::runtime_error "<path>: cannot open for writing ..." when the directory is missing or read-only.
  explicit AtomicFile(std::filesystem::path path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  void write(const void* src, std::uint64_t n);  // throws "<path>: write failed (disk full?)"
  void write(std::span<const std::uint8_t> bytes) { write(bytes.data(), bytes.size()); }
  void write(std::string_view text) { write(text.data(), text.size()); }
  template <class T>
  void value(const T& v) { write(&v, sizeof(T)); }
  void commit();  // flush, close and rename onto the destination

  // The whole file at once: write(bytes) + commit().
  static void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
  static void write_file(const std::filesystem::path& path, std::string_view text);

 private:
  std::filesystem::path path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace mxlab
