// Temporary file + rename (docs/ARCHITECTURE.md, conventions).
#include "formats/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <string>

namespace mxlab {

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)), tmp_(path_) {
  static std::atomic<unsigned> counter{0};
  tmp_ += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw std::runtime_error(path_.string() + ": cannot open for writing (does the directory exist and is it writable?)");
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  out_.close();
  std::error_code ec;
  std::filesystem::remove(tmp_, ec);
}

void AtomicFile::write(const void* src, std::uint64_t n) {
  out_.write(static_cast<const char*>(src), static_cast<std::streamsize>(n));
  if (!out_) throw std::runtime_error(path_.string() + ": write failed (disk full?)");
}

void AtomicFile::commit() {
  out_.close();
  if (!out_) throw std::runtime_error(path_.string() + ": write failed on close");
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw std::runtime_error(path_.string() + ": cannot replace: " + ec.message());
  committed_ = true;
}

void AtomicFile::write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  AtomicFile f(path);
  f.write(bytes);
  f.commit();
}

void AtomicFile::write_file(const std::filesystem::path& path, std::string_view text) {
  AtomicFile f(path);
  f.write(text);
  f.commit();
}

}  // namespace mxlab
