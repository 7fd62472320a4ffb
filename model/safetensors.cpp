// safetensors reader and writer (format: https://github.com/huggingface/safetensors#format).
#include "model/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
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

// n numbers of `dtype` at src widened to float32 (exactly: F16 and BF16 are subsets of F32).
void widen_serial(Dtype dtype, const std::uint8_t* src, float* dst, std::uint64_t n) {
  if (dtype == Dtype::f32) {
    std::memcpy(dst, src, n * 4);
  } else if (dtype == Dtype::bf16) {
    for (std::uint64_t i = 0; i < n; ++i) {  // a shift; the compiler vectorizes this loop
      std::uint16_t b;
      std::memcpy(&b, src + 2 * i, 2);
      dst[i] = bf16_to_float(b);
    }
  } else {
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      dst[i] = half_to_float(h);
    }
  }
}

// widen_serial in chunks over the OpenMP threads (a streamed layer is widened on every forward).
void widen(Dtype dtype, const std::uint8_t* src, float* dst, std::uint64_t n) {
  constexpr std::uint64_t kChunk = std::uint64_t{1} << 18;
  const auto chunks = static_cast<std::int64_t>((n + kChunk - 1) / kChunk);
  const std::size_t size = dtype_size(dtype);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::uint64_t begin = static_cast<std::uint64_t>(c) * kChunk;
    widen_serial(dtype, src + begin * size, dst + begin, std::min(kChunk, n - begin));
  }
}

// n float32 numbers narrowed to `dtype` (round-to-nearest-even) into dst.
void narrow(Dtype dtype, const float* src, std::uint8_t* dst, std::uint64_t n) {
  if (dtype == Dtype::f32) {
    std::memcpy(dst, src, n * 4);
    return;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint16_t h = dtype == Dtype::f16 ? float_to_half(src[i]) : float_to_bf16(src[i]);
    std::memcpy(dst + 2 * i, &h, 2);
  }
}

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

struct MappedFile {
  void* base = MAP_FAILED;
  std::size_t size = 0;
  explicit MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(path.string() + ": cannot open for reading");
    size = static_cast<std::size_t>(std::filesystem::file_size(path));
    base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (base == MAP_FAILED) throw std::runtime_error(path.string() + ": cannot memory-map (" + std::strerror(errno) + ")");
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (base != MAP_FAILED) ::munmap(base, size);
  }
};

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
  map_ = std::make_shared<MappedFile>(path);
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
      std::uint64_t count = 1;  // numel() wraps around on a lying shape such as [2^32, 2^32]
      for (auto s : t.shape)
        if (s < 0) throw std::runtime_error("negative dimension");
        else if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(s), &count) || count > data_size)
          throw std::runtime_error("shape holds more values than the file has bytes");
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

const std::uint8_t* SafetensorsReader::map_tensor(const TensorInfo& t) const {
  if (data_start_ + t.end > map_->size) throw std::runtime_error(path_.string() + ": file shrank while mapped");
  return static_cast<const std::uint8_t*>(map_->base) + data_start_ + t.begin;
}

void SafetensorsReader::release(const TensorInfo& t) const {
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t begin = (data_start_ + t.begin) / page * page, end = data_start_ + t.end;
  if (end > begin) ::madvise(static_cast<std::uint8_t*>(map_->base) + begin, end - begin, MADV_DONTNEED);
}

void SafetensorsReader::read_f32_into(const std::string& name, float* dst) const {
  const TensorInfo& t = info(name);
  if (t.dtype == Dtype::u8)
    throw std::runtime_error(path_.string() + ": tensor '" + name + "' holds raw bytes (U8), not numbers");
  widen(t.dtype, map_tensor(t), dst, t.numel());
  release(t);
}

std::vector<float> SafetensorsReader::read_f32(const std::string& name) const {
  std::vector<float> out(info(name).numel());
  read_f32_into(name, out.data());
  return out;
}

std::vector<std::uint8_t> SafetensorsReader::read_u8(const std::string& name) const {
  const TensorInfo& t = info(name);
  if (t.dtype != Dtype::u8)
    throw std::runtime_error(path_.string() + ": tensor '" + name + "' is " + std::string(dtype_name(t.dtype)) +
                             ", not U8");
  const std::uint8_t* p = map_tensor(t);
  std::vector<std::uint8_t> out(p, p + t.numel());
  release(t);
  return out;
}

void SafetensorsWriter::add_u8(const std::string& name, std::vector<std::int64_t> shape, std::vector<std::uint8_t> bytes) {
  if (name == "__metadata__") throw std::invalid_argument("safetensors: '__metadata__' is reserved");
  std::uint64_t n = 1;
  for (auto s : shape) n *= static_cast<std::uint64_t>(s);
  if (n != bytes.size()) throw std::invalid_argument("safetensors: U8 tensor '" + name + "' shape does not hold its bytes");
  entries_[name] = Entry{Dtype::u8, std::move(shape), std::move(bytes)};
}

void SafetensorsWriter::add_view(const std::string& name, std::vector<std::int64_t> shape, const float* data, Dtype dtype) {
  if (name == "__metadata__") throw std::invalid_argument("safetensors: '__metadata__' is reserved");
  if (dtype == Dtype::u8) throw std::invalid_argument("safetensors: '" + name + "': add_u8 writes U8 tensors");
  entries_[name] = Entry{dtype, std::move(shape), {}, data};
}

void SafetensorsWriter::add(const std::string& name, std::vector<std::int64_t> shape, const float* data, Dtype dtype) {
  add_view(name, std::move(shape), data, dtype);
  Entry& e = entries_[name];
  e.bytes.resize(TensorSpec{name, dtype, e.shape}.bytes());
  narrow(dtype, data, e.bytes.data(), e.bytes.size() / dtype_size(dtype));
  e.view = nullptr;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const {
  std::vector<TensorSpec> specs;
  for (const auto& [name, e] : entries_) specs.push_back({name, e.dtype, e.shape});
  SafetensorsStreamWriter out(path, std::move(specs), metadata_);
  for (const auto& [name, e] : entries_)
    if (e.view) out.write(e.view, TensorSpec{name, e.dtype, e.shape}.bytes() / dtype_size(e.dtype));
    else out.write_bytes(e.bytes.data(), e.bytes.size());
  out.commit();
}

std::uint64_t TensorSpec::bytes() const {
  std::uint64_t n = dtype_size(dtype);
  for (auto s : shape) n *= static_cast<std::uint64_t>(s);
  return n;
}

SafetensorsStreamWriter::SafetensorsStreamWriter(const std::filesystem::path& path, std::vector<TensorSpec> tensors,
                                                 const std::map<std::string, std::string>& metadata)
    : out_(path), specs_(std::move(tensors)) {
  nlohmann::json j = nlohmann::json::object();
  if (!metadata.empty()) j["__metadata__"] = metadata;
  std::uint64_t off = 0;
  for (const TensorSpec& t : specs_) {
    if (t.name == "__metadata__") throw std::invalid_argument("safetensors: '__metadata__' is reserved");
    if (j.contains(t.name)) throw std::invalid_argument("safetensors: tensor '" + t.name + "' given twice");
    j[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {off, off + t.bytes()}}};
    off += t.bytes();
  }
  std::string header = j.dump();
  header.append((8 - header.size() % 8) % 8, ' ');  // pad so the data section is 8-byte aligned
  out_.value<std::uint64_t>(header.size());
  out_.write(header.data(), header.size());
  advance(0);
}

void SafetensorsStreamWriter::advance(std::uint64_t bytes) {
  cur_done_ += bytes;
  while (cur_ < specs_.size() && cur_done_ == specs_[cur_].bytes()) ++cur_, cur_done_ = 0;
}

void SafetensorsStreamWriter::write_bytes(const std::uint8_t* data, std::uint64_t n) {
  while (n > 0) {
    if (cur_ == specs_.size()) throw std::invalid_argument("safetensors: more data than the header's tensors hold");
    const std::uint64_t k = std::min(n, specs_[cur_].bytes() - cur_done_);
    out_.write(data, k);
    data += k, n -= k;
    advance(k);
  }
}

void SafetensorsStreamWriter::write(const float* data, std::uint64_t n) {
  std::vector<std::uint8_t> buf;
  while (n > 0) {
    if (cur_ == specs_.size()) throw std::invalid_argument("safetensors: more data than the header's tensors hold");
    const TensorSpec& t = specs_[cur_];
    if (t.dtype == Dtype::u8) throw std::invalid_argument("safetensors: '" + t.name + "' is U8: write_bytes fills it");
    const std::uint64_t size = dtype_size(t.dtype);
    const std::uint64_t k = std::min<std::uint64_t>({n, (t.bytes() - cur_done_) / size, 1u << 16});
    buf.resize(k * size);
    narrow(t.dtype, data, buf.data(), k);
    out_.write(buf.data(), buf.size());
    data += k, n -= k;
    advance(k * size);
  }
}

void SafetensorsStreamWriter::commit() {
  if (cur_ != specs_.size())
    throw std::logic_error("safetensors: tensor '" + specs_[cur_].name + "' was not filled before commit");
  out_.commit();
}

}  // namespace mxlab::model
