// safetensors reader and writer (format: https://github.com/huggingface/safetensors#format).
#include "model/safetensors.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "formats/atomic_file.hpp"
#include "model/binary_file.hpp"

namespace mxlab::model {
namespace {

std::size_t dtype_size(Dtype d) { return d == Dtype::f32 ? 4 : d == Dtype::u8 ? 1 : 2; }

Dtype parse_dtype(const std::string& s, const std::string& where) {
  if (s == "F32") return Dtype::f32;
  if (s == "F16") return Dtype::f16;
  if (s == "BF16") return Dtype::bf16;
  if (s == "U8") return Dtype::u8;
  throw std::runtime_error(where + ": unsupported dtype " + s + " (supported: F32, F16, BF16, U8)");
}

}  // namespace

std::string_view dtype_name(Dtype d) {
  return d == Dtype::f32 ? "F32" : d == Dtype::f16 ? "F16" : d == Dtype::u8 ? "U8" : "BF16";
}

std::uint64_t TensorInfo::numel() const {
  std::uint64_t n = 1;
  for (auto s : shape) n *= static_cast<std::uint64_t>(s);
  return n;
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(man), -24);
  else if (exp == 31) v = man ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else v = std::ldexp(static_cast<float>(man | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

float bf16_to_float(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

std::uint16_t float_to_bf16(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if (std::isnan(f)) return static_cast<std::uint16_t>((u >> 16) | 0x40);
  u += 0x7FFF + ((u >> 16) & 1);  // round to nearest, ties to even
  return static_cast<std::uint16_t>(u >> 16);
}

std::uint16_t float_to_half(float f) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000);
  const float a = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7E00;
  if (a >= 65520.f) return sign | 0x7C00;  // rounds to infinity
  if (a < std::ldexp(1.f, -14)) {          // subnormal: multiples of 2^-24, round half even via nearbyint
    return sign | static_cast<std::uint16_t>(std::nearbyint(std::ldexp(a, 24)));
  }
  int e;
  const float m = std::frexp(a, &e);                                  // a = m * 2^e, m in [0.5, 1)
  auto mant = static_cast<std::uint32_t>(std::nearbyint(std::ldexp(m, 11)));  // 11 significant bits
  if (mant == 2048) mant = 1024, ++e;
  return sign | static_cast<std::uint16_t>(((e + 14) << 10) | (mant & 0x3FF));
}

SafetensorsReader::SafetensorsReader(const std::filesystem::path& path) : path_(path) {
  BinaryReader in(path);
  const auto header_len = in.value<std::uint64_t>("the 8-byte header length");
  if (header_len == 0 || header_len > 100'000'000 || header_len > in.size() - 8)
    in.fail("bad header length " + std::to_string(header_len) + " for a file of " + std::to_string(in.size()) +
            " bytes — not a safetensors file, or truncated");
  std::string text(header_len, '\0');
  in.read(text.data(), header_len, "the JSON header");
  data_start_ = 8 + header_len;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    in.fail(std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) in.fail("header is not a JSON object");
  const std::uint64_t data_size = in.size() - data_start_;
  for (auto& [name, v] : j.items()) {
    if (name == "__metadata__") {
      for (auto& [k, val] : v.items()) metadata_[k] = val.is_string() ? val.get<std::string>() : val.dump();
      continue;
    }
    try {
      TensorInfo t;
      t.dtype = parse_dtype(v.at("dtype").get<std::string>(), path.string() + ": tensor " + name);
      t.shape = v.at("shape").get<std::vector<std::int64_t>>();
      const auto off = v.at("data_offsets").get<std::vector<std::uint64_t>>();
      if (off.size() != 2) throw std::runtime_error("data_offsets must have two entries");
      t.begin = off[0], t.end = off[1];
      for (auto s : t.shape)
        if (s < 0) throw std::runtime_error("negative dimension");
      if (t.end < t.begin || t.end - t.begin != t.numel() * dtype_size(t.dtype))
        throw std::runtime_error("data_offsets do not match shape and dtype");
      if (t.end > data_size)
        throw std::runtime_error("data ends at " + std::to_string(t.end) + " but the data section has " +
                                 std::to_string(data_size) + " bytes (truncated file?)");
      tensors_.emplace(name, std::move(t));
    } catch (const std::runtime_error& e) {
      in.fail("tensor '" + name + "': " + e.what());
    } catch (const nlohmann::json::exception& e) {
      in.fail("tensor '" + name + "': malformed header entry (" + e.what() + ")");
    }
  }
}

const TensorInfo& SafetensorsReader::info(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end())
    throw std::runtime_error(path_.string() + ": tensor '" + name + "' not found (" +
                             std::to_string(tensors_.size()) + " tensors in the file)");
  return it->second;
}

std::vector<float> SafetensorsReader::read_f32(const std::string& name) const {
  const TensorInfo& t = info(name);
  if (t.dtype == Dtype::u8)
    throw std::runtime_error(path_.string() + ": tensor '" + name + "' holds raw bytes (U8), not numbers");
  BinaryReader in(path_);
  in.seek(data_start_ + t.begin);
  std::vector<float> out(t.numel());
  if (t.dtype == Dtype::f32) {
    in.read(out.data(), out.size() * 4, "tensor " + name);
  } else {
    std::vector<std::uint16_t> raw(t.numel());
    in.read(raw.data(), raw.size() * 2, "tensor " + name);
    for (std::size_t i = 0; i < raw.size(); ++i)
      out[i] = t.dtype == Dtype::f16 ? half_to_float(raw[i]) : bf16_to_float(raw[i]);
  }
  return out;
}

std::vector<std::uint8_t> SafetensorsReader::read_u8(const std::string& name) const {
  const TensorInfo& t = info(name);
  if (t.dtype != Dtype::u8)
    throw std::runtime_error(path_.string() + ": tensor '" + name + "' is " + std::string(dtype_name(t.dtype)) +
                             ", not U8");
  BinaryReader in(path_);
  in.seek(data_start_ + t.begin);
  std::vector<std::uint8_t> out(t.numel());
  in.read(out.data(), out.size(), "tensor " + name);
  return out;
}

void SafetensorsWriter::add_u8(const std::string& name, std::vector<std::int64_t> shape, std::vector<std::uint8_t> bytes) {
  if (name == "__metadata__") throw std::invalid_argument("safetensors: '__metadata__' is reserved");
  std::uint64_t n = 1;
  for (auto s : shape) n *= static_cast<std::uint64_t>(s);
  if (n != bytes.size()) throw std::invalid_argument("safetensors: U8 tensor '" + name + "' shape does not hold its bytes");
  entries_[name] = Entry{Dtype::u8, std::move(shape), std::move(bytes)};
}

void SafetensorsWriter::add(const std::string& name, std::vector<std::int64_t> shape, const float* data, Dtype dtype) {
  if (name == "__metadata__") throw std::invalid_argument("safetensors: '__metadata__' is reserved");
  if (dtype == Dtype::u8) throw std::invalid_argument("safetensors: '" + name + "': add_u8 writes U8 tensors");
  std::uint64_t n = 1;
  for (auto s : shape) n *= static_cast<std::uint64_t>(s);
  Entry e{dtype, std::move(shape), std::vector<std::uint8_t>(n * dtype_size(dtype))};
  if (dtype == Dtype::f32) {
    std::memcpy(e.bytes.data(), data, n * 4);
  } else {
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint16_t h = dtype == Dtype::f16 ? float_to_half(data[i]) : float_to_bf16(data[i]);
      std::memcpy(e.bytes.data() + 2 * i, &h, 2);
    }
  }
  entries_[name] = std::move(e);
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  nlohmann::json j = nlohmann::json::object();
  if (!metadata_.empty()) j["__metadata__"] = metadata_;
  std::uint64_t off = 0;
  for (const auto& [name, e] : entries_) {
    j[name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {off, off + e.bytes.size()}}};
    off += e.bytes.size();
  }
  std::string header = j.dump();
  header.append((8 - header.size() % 8) % 8, ' ');  // pad so the data section is 8-byte aligned
  AtomicFile out(path);
  out.value<std::uint64_t>(header.size());
  out.write(header.data(), header.size());
  for (const auto& [name, e] : entries_) out.write(e.bytes.data(), e.bytes.size());
  out.commit();
}

}  // namespace mxlab::model
