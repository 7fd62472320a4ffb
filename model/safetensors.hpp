// safetensors files (huggingface/safetensors format spec): u64 header size, JSON header, raw little-endian data.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "formats/atomic_file.hpp"

namespace mxlab::model {

enum class Dtype { f32, f16, bf16, u8 };  // u8: raw bytes (mxlab's packed block formats)
std::string_view dtype_name(Dtype d);  // "F32", "F16", "BF16", "U8" as the spec spells them

struct TensorInfo {
  Dtype dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // data_offsets, relative to the start of the data section
  std::uint64_t numel() const;
};

struct MappedFile;  // a read-only memory map of a whole file (safetensors.cpp)

// Reader: parses and validates the header on construction; tensors are read (and converted to fp32) on demand
// through a read-only memory map of the file. After each read the tensor's pages are released from the process
// (madvise MADV_DONTNEED; they stay in the page cache), so reading a model layer by layer keeps the resident set at
// about one tensor, however large the file.
class SafetensorsReader {
 public:
  explicit SafetensorsReader(const std::filesystem::path& path);
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  const TensorInfo& info(const std::string& name) const;  // throws naming the file and the missing tensor
  // Reads a tensor converted to float32 (F16 and BF16 widen exactly); throws for U8 tensors.
  std::vector<float> read_f32(const std::string& name) const;
  // The same into dst (info(name).numel() floats), without an intermediate copy.
  void read_f32_into(const std::string& name, float* dst) const;
  // Reads a U8 tensor's bytes; throws for other dtypes.
  std::vector<std::uint8_t> read_u8(const std::string& name) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::uint64_t data_start_ = 0;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  std::shared_ptr<const MappedFile> map_;

  const std::uint8_t* map_tensor(const TensorInfo& t) const;  // start of t's bytes
  void release(const TensorInfo& t) const;                    // drops t's pages from the resident set
};

struct TensorSpec {
  std::string name;
  Dtype dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t bytes() const;
};

// Streaming writer for files larger than memory: the header (every tensor's name, dtype and shape) goes out on
// construction, then the tensors' data in the order given, in chunks of any size; commit() checks every tensor
// was filled and renames the temporary file onto `path` (nothing is left behind otherwise).
class SafetensorsStreamWriter {
 public:
  SafetensorsStreamWriter(const std::filesystem::path& path, std::vector<TensorSpec> tensors,
                          const std::map<std::string, std::string>& metadata = {});
  // Appends n numbers, converted to the current tensor's dtype (round-to-nearest-even), possibly spanning tensors.
  void write(const float* data, std::uint64_t n);
  // Appends raw bytes (U8 tensors, or data already in the file's dtype).
  void write_bytes(const std::uint8_t* data, std::uint64_t n);
  void commit();

 private:
  AtomicFile out_;
  std::vector<TensorSpec> specs_;
  std::size_t cur_ = 0;         // tensor being filled
  std::uint64_t cur_done_ = 0;  // its bytes written so far
  void advance(std::uint64_t bytes);
};

// Writer: collects tensors (stored as given dtype, converted from fp32 with round-to-nearest-even) and writes the
// file atomically. Names are sorted in the header as the reference implementation does.
class SafetensorsWriter {
 public:
  void add(const std::string& name, std::vector<std::int64_t> shape, const float* data, Dtype dtype = Dtype::f32);
  // The same without a copy: `data` is read (and converted) by write(), so it must live until then (large tensors,
  // e.g. a 7B model's embedding, would otherwise be held twice while the file is written).
  void add_view(const std::string& name, std::vector<std::int64_t> shape, const float* data, Dtype dtype = Dtype::f32);
  // A U8 tensor of raw bytes (shape's product = bytes.size()).
  void add_u8(const std::string& name, std::vector<std::int64_t> shape, std::vector<std::uint8_t> bytes);
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    Dtype dtype;
    std::vector<std::int64_t> shape;
    std::vector<std::uint8_t> bytes;
    const float* view = nullptr;  // add_view: converted at write()
  };
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// IEEE half / bfloat16 conversions (round-to-nearest-even on narrowing).
float half_to_float(std::uint16_t h);
float bf16_to_float(std::uint16_t b);
std::uint16_t float_to_half(float f);
std::uint16_t float_to_bf16(float f);

}  // namespace mxlab::model
