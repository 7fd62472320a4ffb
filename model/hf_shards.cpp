// Sharded Hugging Face checkpoint writer (one shard per decoder layer, written as each becomes ready).
#include "model/hf_shards.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <stdexcept>

#include "formats/atomic_file.hpp"
#include "model/hf_format.hpp"

namespace mxlab::model {
namespace {

namespace fs = std::filesystem;

bool absent_or_empty(const fs::path& dir) { return !fs::exists(dir) || (fs::is_directory(dir) && fs::is_empty(dir)); }

// A writer killed before finish() (SIGKILL, SIGINT, SIGTERM, a crash) leaves its `PREFIX<pid>` directory: removes
// those of processes that no longer exist (kill(pid, 0) fails with ESRCH). A live writer's (or one we may not
// signal: EPERM) is never touched, nor any name whose suffix is not a plain process id.
void remove_stale_partials(const fs::path& parent, const std::string& prefix) {
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
    pid_t pid = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    const auto [ptr, err] = std::from_chars(first, last, pid);
    if (err != std::errc() || ptr != last || pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
}

}  // namespace

HfShardWriter::HfShardWriter(const fs::path& dir, int n_layers, Dtype dtype)
    : dir_(fs::absolute(dir).lexically_normal()), n_layers_(n_layers), dtype_(dtype),
      written_(static_cast<std::size_t>(n_layers), false) {
  if (!dir_.has_filename()) dir_ = dir_.parent_path();  // "out/" names "out"
  if (!absent_or_empty(dir_))
    throw std::invalid_argument(dir.string() + ": exists and is not an empty directory (a sharded checkpoint is written "
                                "into a new directory; remove it or choose another --out)");
  const std::string hidden = std::string(".").append(dir_.filename().string()).append(".partial-");
  tmp_ = dir_.parent_path() / (hidden + std::to_string(::getpid()));
  remove_stale_partials(dir_.parent_path(), hidden);
  fs::remove_all(tmp_);
  fs::create_directories(tmp_);
}

HfShardWriter::~HfShardWriter() {
  std::error_code ec;
  if (!done_) fs::remove_all(tmp_, ec);
}

std::string HfShardWriter::shard_name(int index) const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05d-of-%05d.safetensors", index + 1, n_layers_ + 1);
  return buf;
}

void HfShardWriter::write_shard(const SafetensorsWriter& st, int index) {
  const std::string name = shard_name(index);
  st.write(tmp_ / name);
  const SafetensorsReader written(tmp_ / name);
  for (const auto& [tensor, info] : written.tensors()) weight_map_[tensor] = name;
}

void HfShardWriter::write_layer(const ModelWeights& w, int l, const QuantizedCheckpoint* quant) {
  if (l < 0 || l >= n_layers_ || written_[static_cast<std::size_t>(l)])
    throw std::logic_error("HfShardWriter: layer " + std::to_string(l) + " out of range or written twice");
  SafetensorsWriter st;
  st.set_metadata("format", "pt");
  add_hf_layer(st, w, l, dtype_, quant, entries_);
  write_shard(st, l);
  written_[static_cast<std::size_t>(l)] = true;
}

void HfShardWriter::finish(const ModelWeights& w, const QuantizedCheckpoint* quant) {
  for (int l = 0; l < n_layers_; ++l)
    if (!written_[static_cast<std::size_t>(l)])
      throw std::logic_error("HfShardWriter: layer " + std::to_string(l) + " was never written");
  SafetensorsWriter st;
  st.set_metadata("format", "pt");
  add_hf_head(st, w, dtype_, quant, entries_);
  if (quant) st.set_metadata(kQuantizationKey, quantization_metadata(*quant, entries_));
  write_shard(st, n_layers_);
  const nlohmann::json index = {{"metadata", nlohmann::json::object()}, {"weight_map", weight_map_}};
  AtomicFile::write_file(tmp_ / "model.safetensors.index.json", index.dump(2) + "\n");
  write_hf_config(tmp_, w, dtype_);
  if (!absent_or_empty(dir_))
    throw std::runtime_error(dir_.string() + ": was filled by someone else while the checkpoint was being written");
  if (fs::exists(dir_)) fs::remove(dir_);  // empty
  fs::rename(tmp_, dir_);
  done_ = true;
}

}  // namespace mxlab::model
