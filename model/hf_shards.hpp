// A Hugging Face checkpoint written in shards as its parts become ready (streamed PTQ writes each decoder layer
// once it is quantized): one safetensors file per decoder layer, a last one with the embedding, final norm and
// lm_head (and, for a quantized checkpoint, the mxlab.quantization metadata of every shard's packed tensors),
// model.safetensors.index.json and config.json, as load_hf reads them. Everything is written into a temporary
// directory beside the destination (`.NAME.partial-PID`) and renamed onto it by finish(); a writer destroyed
// unfinished removes it, and one that could not (killed) leaves it to the next writer for the same destination,
// which removes the partial directories of processes no longer alive.
#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/quantized_checkpoint.hpp"
#include "model/safetensors.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

class HfShardWriter {
 public:
  // `dir` must not exist, or be an empty directory (throws std::invalid_argument otherwise).
  HfShardWriter(const std::filesystem::path& dir, int n_layers, Dtype dtype);
  HfShardWriter(const HfShardWriter&) = delete;
  HfShardWriter& operator=(const HfShardWriter&) = delete;
  ~HfShardWriter();

  // Writes decoder layer l of `w` (its norms and linears; the linears `quant` holds packed, the rest in `dtype`).
  void write_layer(const ModelWeights& w, int l, const QuantizedCheckpoint* quant = nullptr);
  // Writes the last shard (embedding, final norm, lm_head; with `quant`, its scheme and provenance and every packed
  // entry), the index and config.json, and renames the directory into place. Throws unless every layer was written.
  void finish(const ModelWeights& w, const QuantizedCheckpoint* quant = nullptr);
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_, tmp_;
  int n_layers_;
  Dtype dtype_;
  std::vector<bool> written_;
  nlohmann::json weight_map_ = nlohmann::json::object(), entries_ = nlohmann::json::object();
  bool done_ = false;

  std::string shard_name(int index) const;  // model-00001-of-000NN.safetensors; layers 0.., the head last
  void write_shard(const SafetensorsWriter& st, int index);
};

}  // namespace mxlab::model
