// The HDF5 result store (C++ API, readable by h5py). Layout of a result file:
//   /                      attrs: format ("mxlab-sweep/1"), sweep, spec_file, spec (TOML text), spec_sha256,
//                                 git_commit (describe --dirty), host, hardware (JSON), updated (UTC)
//   /points/<name>         attrs: index (int64), config (JSON: point, session with file sha256s, hardware),
//                                 weights, acts, pipeline, block, act_block, gemm, acc, round (strings),
//                                 tensor_scale, quantize_classifier (int8), status ("ok" | "failed"), error,
//                                 start_time, end_time, host, git_commit, spec_sha256 (strings)
//   /points/<name>/metrics/<metric>   scalar float64 datasets (bits_per_weight, <text>.ppl, <text>.kld_mean, seconds..)
//   /points/<name>/layers/name        1-D strings (one per quantized linear, forward order)
//   /points/<name>/layers/<column>    1-D strings (weights) or float64 (rows, cols, bits, bits_per_weight)
//   /points/<name>/blocks/name        1-D strings, one per decoder layer ("layers.<l>"; absent for failed points)
//   /points/<name>/blocks/<column>    float64: residual_rel_error, bits, weights, bits_per_weight, importance (when
//                                     the pipeline produced it); see experiments/layer_errors.hpp
// A point file (RESULTS.h5.d/<name>.h5) has the same layout with one point and no sweep attributes.
#pragma once
#include <filesystem>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "experiments/point_stage.hpp"

namespace mxlab::experiments {

inline constexpr const char* kStoreFormat = "mxlab-sweep/1";

struct StoreContents {
  std::map<std::string, std::string> attrs;  // the file's root string attributes
  std::vector<PointRecord> points;           // sorted by index
};

// Writes `rec` as a point file: HDF5 to a temporary file beside `file`, fsync, rename (all or nothing).
void write_point_file(const std::filesystem::path& file, const PointRecord& rec);
// Writes `out` (temporary file, fsync, rename): root attributes `attrs` and every point of `point_files` (copied
// group by group with H5Ocopy, so the merged file holds exactly the bytes each point file holds).
void merge_point_files(const std::filesystem::path& out, const std::map<std::string, std::string>& attrs,
                       const std::vector<std::filesystem::path>& point_files);
// Reads a result or point file. Throws std::runtime_error "<file>: ..." when it is not one.
StoreContents read_store(const std::filesystem::path& file);
// The same for a result file's bytes held in memory (HDF5's core driver); `name` stands for the file in errors.
StoreContents read_store_image(std::span<const std::uint8_t> bytes, const std::string& name);

}  // namespace mxlab::experiments
