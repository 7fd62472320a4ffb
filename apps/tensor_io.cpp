// Float32 tensor files (.f32 raw, .npy) with errors that name the file.
#include "apps/tensor_io.hpp"

#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>

namespace mxlab::cli {
namespace {
std::runtime_error bad(const std::filesystem::path& p, const std::string& what) {
  return std::runtime_error(p.string() + ": " + what);
}
bool is_npy(const std::filesystem::path& p) { return p.extension() == ".npy"; }

std::vector<std::uint8_t> slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw bad(p, "cannot open for reading");
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// NumPy format v1/v2/v3: "\x93NUMPY", major, minor, header length (u16 or u32), Python-dict header.
Tensor parse_npy(const std::filesystem::path& p, const std::vector<std::uint8_t>& b) {
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) throw bad(p, "not a .npy file (bad magic)");
  const int major = b[6];
  std::size_t hlen, off;
  if (major == 1) { hlen = b[8] | (b[9] << 8); off = 10; }
  else if (major == 2 || major == 3) {
    if (b.size() < 12) throw bad(p, "truncated .npy header");
    hlen = b[8] | (b[9] << 8) | (static_cast<std::size_t>(b[10]) << 16) | (static_cast<std::size_t>(b[11]) << 24);
    off = 12;
  } else throw bad(p, "unsupported .npy version " + std::to_string(major));
  if (off + hlen > b.size()) throw bad(p, "truncated .npy header");
  const std::string h(b.begin() + off, b.begin() + off + hlen);
  std::smatch m;
  if (!std::regex_search(h, m, std::regex("'descr'\\s*:\\s*'([^']*)'"))) throw bad(p, "npy header has no descr");
  if (m[1] != "<f4" && m[1] != "=f4") throw bad(p, "npy dtype " + m[1].str() + " is not little-endian float32 (<f4)");
  if (std::regex_search(h, std::regex("'fortran_order'\\s*:\\s*True"))) throw bad(p, "Fortran-order .npy is not supported");
  if (!std::regex_search(h, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) throw bad(p, "npy header has no shape");
  Tensor t;
  std::size_t count = 1;
  const std::string dims = m[1];
  if (dims.find('-') != std::string::npos) throw bad(p, "npy shape (" + dims + ") has a negative dimension");
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    t.shape.push_back(std::stoull(it->str()));
    if (t.shape.back() != 0 && count > (b.size() / 4) / t.shape.back())
      throw bad(p, "npy shape (" + dims + ") is larger than the file");
    count *= t.shape.back();
  }
  const std::size_t data = off + hlen;
  if (b.size() - data != count * 4)
    throw bad(p, "npy payload is " + std::to_string(b.size() - data) + " bytes, shape needs " + std::to_string(count * 4));
  t.values.resize(count);
  if (count != 0) std::memcpy(t.values.data(), b.data() + data, count * 4);  // memcpy of null (empty) is UB
  return t;
}

std::vector<std::uint8_t> npy_bytes(const Tensor& t) {
  std::string shape;
  for (auto d : t.shape) shape += std::to_string(d) + ", ";
  if (t.shape.size() > 1) shape.resize(shape.size() - 2);
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  h.append(64 - (10 + h.size() + 1) % 64, ' ');  // pad so the data starts 64-byte aligned
  h += '\n';
  const std::uint8_t magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(h.size() & 0xff),
                                  static_cast<std::uint8_t>(h.size() >> 8)};
  std::vector<std::uint8_t> b(10 + h.size() + t.values.size() * 4);
  std::memcpy(b.data(), magic, 10);
  std::memcpy(b.data() + 10, h.data(), h.size());
  if (!t.values.empty()) std::memcpy(b.data() + 10 + h.size(), t.values.data(), t.values.size() * 4);
  return b;
}
}  // namespace

Tensor read_tensor(const std::filesystem::path& path) {
  const auto bytes = slurp(path);
  if (is_npy(path)) return parse_npy(path, bytes);
  if (bytes.size() % 4 != 0)
    throw bad(path, "size " + std::to_string(bytes.size()) + " bytes is not a multiple of 4 (raw float32 expected)");
  Tensor t;
  t.shape = {bytes.size() / 4};
  t.values.resize(bytes.size() / 4);
  if (!bytes.empty()) std::memcpy(t.values.data(), bytes.data(), bytes.size());
  return t;
}

std::vector<std::uint8_t> tensor_file_bytes(const std::filesystem::path& path, const Tensor& t) {
  if (is_npy(path)) return npy_bytes(t);
  const auto* v = reinterpret_cast<const std::uint8_t*>(t.values.data());
  return {v, v + t.values.size() * 4};
}

}  // namespace mxlab::cli
