// Little-endian binary file reading and writing with errors that name the file and the field.
#include "model/binary_file.hpp"

#include <stdexcept>
#include <system_error>

namespace mxlab::model {

BinaryReader::BinaryReader(const std::filesystem::path& path) : name_(path.string()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw std::runtime_error(name_ + ": no such file (check the path or --data-dir)");
  size_ = std::filesystem::file_size(path, ec);
  in_.open(path, std::ios::binary);
  if (!in_ || ec) throw std::runtime_error(name_ + ": cannot open for reading");
}

void BinaryReader::read(void* dst, std::uint64_t n, const std::string& what) {
  if (n > size_ - pos_)
    fail("truncated or corrupt: reading " + what + " needs " + std::to_string(n) + " bytes at offset " +
         std::to_string(pos_) + " but the file has " + std::to_string(size_) + " bytes");
  in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
  if (!in_) fail("I/O error while reading " + what);
  pos_ += n;
}

void BinaryReader::seek(std::uint64_t offset) {
  if (offset > size_) fail("offset " + std::to_string(offset) + " is past the end of the file");
  in_.seekg(static_cast<std::streamoff>(offset));
  pos_ = offset;
}

void BinaryReader::skip(std::uint64_t n, const std::string& what) {
  if (n > size_ - pos_)
    fail("truncated or corrupt: skipping " + what + " needs " + std::to_string(n) + " bytes at offset " +
         std::to_string(pos_) + " but the file has " + std::to_string(size_) + " bytes");
  seek(pos_ + n);
}

void BinaryReader::fail(const std::string& message) const { throw std::runtime_error(name_ + ": " + message); }

}  // namespace mxlab::model
