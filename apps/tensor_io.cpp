// Float32 tensor files (.f32 raw, .npy) with errors that name the file.
#include "apps/tensor_io.hpp"

#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

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

// The text between `open` and the next `close` after the first `key`, whitespace, ':', whitespace that has one:
// the match of the regex KEY\s*:\s*OPEN([^CLOSE]*)CLOSE in a Python-dict .npy header.
std::optional<std::string> npy_field(const std::string& h, std::string_view key, char open, char close) {
  auto space = [&](std::size_t i) {
    while (i < h.size() && std::strchr(" \t\n\v\f\r", h[i]) && h[i]) ++i;
    return i;
  };
  for (std::size_t at = h.find(key); at != std::string::npos; at = h.find(key, at + 1)) {
    std::size_t i = space(at + key.size());
    if (i >= h.size() || h[i] != ':') continue;
    i = space(i + 1);
    if (i >= h.size() || h[i] != open) continue;
    const std::size_t end = h.find(close, i + 1);
    if (end != std::string::npos) return h.substr(i + 1, end - i - 1);
  }
  return std::nullopt;
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
  // (A scan, not std::regex: libstdc++'s regex recurses per character and overflows the stack on a long header.)
  const auto descr = npy_field(h, "'descr'", '\'', '\'');
  if (!descr) throw bad(p, "npy header has no descr");
  if (*descr != "<f4" && *descr != "=f4") throw bad(p, "npy dtype " + *descr + " is not little-endian float32 (<f4)");
  // 'fortran_order': True  (the text between the value's 'T' and the next 'e' is "ru" only for True)
  if (npy_field(h, "'fortran_order'", 'T', 'e') == "ru") throw bad(p, "Fortran-order .npy is not supported");
  const auto dims = npy_field(h, "'shape'", '(', ')');
  if (!dims) throw bad(p, "npy header has no shape");
  if (dims->find('-') != std::string::npos) throw bad(p, "npy shape (" + *dims + ") has a negative dimension");
  Tensor t;
  std::size_t count = 1;
  for (const char* c = dims->data(), *end = c + dims->size(); c != end;) {
    if (!std::isdigit(static_cast<unsigned char>(*c))) {
      ++c;
      continue;
    }
    std::uint64_t d = 0;
    const auto r = std::from_chars(c, end, d);
    if (r.ec != std::errc() || (d != 0 && count > (b.size() / 4) / d))
      throw bad(p, "npy shape (" + *dims + ") is larger than the file");
    t.shape.push_back(d);
    count *= d;
    c = r.ptr;
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
