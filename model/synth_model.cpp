// Random Llama-shaped checkpoints in the Hugging Face layout, written tensor by tensor in chunks.
#include "model/synth_model.hpp"

#include <unistd.h>

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "formats/atomic_file.hpp"
#include "model/hf_format.hpp"
#include "model/progress.hpp"

namespace mxlab::model {
namespace {

namespace fs = std::filesystem;

std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t name_hash(const std::string& s) {  // FNV-1a
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001B3ull;
  return h;
}

using Shapes = std::vector<std::pair<std::string, std::vector<std::int64_t>>>;

// Streams one tensor's values into `out`: RMSNorm weights 1, others uniform on [-a, a] with a = sqrt(3) * std.
void write_tensor(SafetensorsStreamWriter& out, const std::string& name, const std::vector<std::int64_t>& shape,
                  std::uint64_t seed, Progress& bar) {
  std::uint64_t n = 1;
  for (auto d : shape) n *= static_cast<std::uint64_t>(d);
  const bool norm = shape.size() == 1;
  const double stddev = 1.0 / std::sqrt(static_cast<double>(shape.back()));  // embedding: 1/sqrt(dim), as Llama's ~0.02
  const auto a = static_cast<float>(std::sqrt(3.0) * stddev * 2.0 / 4294967296.0);  // u32 -> [-a, a)
  std::uint64_t state = seed ^ name_hash(name);
  std::vector<float> chunk(std::min<std::uint64_t>(n, 1u << 20));
  for (std::uint64_t done = 0; done < n;) {
    const std::uint64_t k = std::min<std::uint64_t>(n - done, chunk.size());
    for (std::uint64_t i = 0; i < k; i += 2) {
      const std::uint64_t r = splitmix64(state);
      chunk[i] = norm ? 1.f : (static_cast<float>(static_cast<std::uint32_t>(r)) - 2147483648.f) * a;
      if (i + 1 < k) chunk[i + 1] = norm ? 1.f : (static_cast<float>(static_cast<std::uint32_t>(r >> 32)) - 2147483648.f) * a;
    }
    out.write(chunk.data(), k);
    done += k;
    bar.step(k);
  }
}

std::string shard_name(std::size_t i, std::size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
  return buf;
}

}  // namespace

ModelConfig synth_shape(const std::string& name) {
  ModelConfig c;
  c.norm_eps = 1e-5f, c.rope_theta = 10000.f, c.shared_classifier = false, c.seq_len = 2048;
  int v[6];
  if (name == "tinyllama-1.1b") {  // TinyLlama/TinyLlama-1.1B-Chat-v1.0 config.json
    c.dim = 2048, c.hidden_dim = 5632, c.n_layers = 22, c.n_heads = 32, c.n_kv_heads = 4, c.vocab_size = 32000;
  } else if (name == "llama-7b") {  // meta-llama/Llama-2-7b-hf config.json
    c.dim = 4096, c.hidden_dim = 11008, c.n_layers = 32, c.n_heads = 32, c.n_kv_heads = 32, c.vocab_size = 32000;
    c.seq_len = 4096;
  } else if (name == "stories260K") {  // llama2.c tinyllamas stories260K header
    c.dim = 64, c.hidden_dim = 172, c.n_layers = 5, c.n_heads = 8, c.n_kv_heads = 4, c.vocab_size = 512;
    c.seq_len = 512, c.shared_classifier = true;
  } else if (char tail; std::sscanf(name.c_str(), "%d,%d,%d,%d,%d,%d%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) == 6) {
    c.dim = v[0], c.hidden_dim = v[1], c.n_layers = v[2], c.n_heads = v[3], c.n_kv_heads = v[4], c.vocab_size = v[5];
  } else {
    throw std::invalid_argument("--shape " + name +
                                ": expected tinyllama-1.1b, llama-7b, stories260K or dim,hidden,layers,heads,kv_heads,vocab");
  }
  c.head_size = c.n_heads > 0 ? c.dim / c.n_heads : 0;
  c.validate("--shape " + name);
  if (c.head_size % 2 != 0) throw std::invalid_argument("--shape " + name + ": head size dim/heads must be even (RoPE)");
  return c;
}

std::uint64_t write_synth_model(const fs::path& dir, const ModelConfig& c, const SynthOptions& opt) {
  if (opt.dtype == Dtype::u8) throw std::invalid_argument("synth-model: --dtype must be bf16, f16 or f32");
  if (fs::exists(dir) && !(fs::is_directory(dir) && fs::is_empty(dir)))
    throw std::invalid_argument(dir.string() + " exists and is not an empty directory (choose another --out)");
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  if (!fs::is_directory(parent)) throw std::invalid_argument(parent.string() + ": no such directory");
  // Shards: tensors in state-dict order, a new file when the next tensor would pass max_shard_bytes.
  const Shapes shapes = hf_tensor_shapes(c);
  std::vector<std::vector<TensorSpec>> shards(1);
  std::uint64_t in_shard = 0, total = 0, numel = 0;
  for (const auto& [name, shape] : shapes) {
    const TensorSpec t{name, opt.dtype, shape};
    if (in_shard > 0 && in_shard + t.bytes() > opt.max_shard_bytes) shards.emplace_back(), in_shard = 0;
    shards.back().push_back(t);
    in_shard += t.bytes(), total += t.bytes(), numel += t.bytes() / (opt.dtype == Dtype::f32 ? 4 : 2);
  }
  fs::path tmp = dir;
  tmp += ".tmp." + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    Progress bar("synth-model", numel);
    nlohmann::json weight_map = nlohmann::json::object();
    for (std::size_t s = 0; s < shards.size(); ++s) {
      const std::string file = shards.size() == 1 ? "model.safetensors" : shard_name(s, shards.size());
      SafetensorsStreamWriter out(tmp / file, shards[s], {{"format", "pt"}});
      for (const TensorSpec& t : shards[s]) {
        write_tensor(out, t.name, t.shape, opt.seed, bar);
        weight_map[t.name] = file;
      }
      out.commit();
    }
    if (shards.size() > 1) {
      const nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
      AtomicFile::write_file(tmp / "model.safetensors.index.json", index.dump(2) + "\n");
    }
    AtomicFile::write_file(tmp / "config.json", hf_config_json(c, opt.dtype).dump(2) + "\n");
    if (fs::exists(dir)) fs::remove(dir);  // the empty directory checked above
    fs::rename(tmp, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  return total;
}

}  // namespace mxlab::model
