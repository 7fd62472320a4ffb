// Float32 tensor files for the CLI: raw little-endian .f32 and NumPy .npy (<f4, C order); atomic writes.
#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace mxlab::cli {

struct Tensor {
  std::vector<std::size_t> shape;  // .f32 files are 1-D
  std::vector<float> values;
};

// Reads by extension (.npy, else raw float32); throws std::runtime_error naming the file and the problem.
Tensor read_tensor(const std::filesystem::path& path);

// The bytes of a tensor file by the extension of `path`: .npy (with `shape`) or raw float32.
std::vector<std::uint8_t> tensor_file_bytes(const std::filesystem::path& path, const Tensor& t);

}  // namespace mxlab::cli
