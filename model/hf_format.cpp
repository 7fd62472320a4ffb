// Hugging Face safetensors checkpoint loader/saver with the llama2.c <-> HF q/k RoPE row permutation.
#include "model/hf_format.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "formats/atomic_file.hpp"
#include "model/binary_file.hpp"
#include "model/progress.hpp"
#include "model/quantized_checkpoint.hpp"

namespace mxlab::model {
namespace {

namespace fs = std::filesystem;

ModelConfig parse_config(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(file.string() + ": cannot open (a HF model needs config.json)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + ": not valid JSON (" + e.what() + ")");
  }
  auto get = [&](const char* key) -> int {
    if (!j.contains(key) || !j[key].is_number_integer())
      throw std::runtime_error(file.string() + ": missing or non-integer '" + key + "'");
    return j[key].get<int>();
  };
  if (j.contains("hidden_act") && j["hidden_act"] != "silu")
    throw std::runtime_error(file.string() + ": hidden_act " + j["hidden_act"].dump() + " unsupported (only silu)");
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    throw std::runtime_error(file.string() + ": rope_scaling " + j["rope_scaling"].dump() +
                             " is not supported (plain RoPE only)");
  ModelConfig c;
  c.dim = get("hidden_size");
  c.hidden_dim = get("intermediate_size");
  c.n_layers = get("num_hidden_layers");
  c.n_heads = get("num_attention_heads");
  c.n_kv_heads = j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null() ? get("num_key_value_heads")
                                                                                          : c.n_heads;
  c.vocab_size = get("vocab_size");
  c.seq_len = j.contains("max_position_embeddings") ? get("max_position_embeddings") : 2048;
  c.head_size = j.contains("head_dim") && !j["head_dim"].is_null() ? get("head_dim")
                                                                   : (c.n_heads > 0 ? c.dim / c.n_heads : 0);
  c.norm_eps = j.value("rms_norm_eps", 1e-6f);
  c.rope_theta = j.value("rope_theta", 10000.f);
  c.shared_classifier = j.value("tie_word_embeddings", false);
  c.validate(file.string());
  return c;
}

// All shards of the model: one file, or those named in model.safetensors.index.json.
std::vector<fs::path> shard_files(const fs::path& dir) {
  if (fs::exists(dir / "model.safetensors")) return {dir / "model.safetensors"};
  const fs::path index = dir / "model.safetensors.index.json";
  std::ifstream in(index);
  if (!in)
    throw std::runtime_error(dir.string() + ": neither model.safetensors nor model.safetensors.index.json found");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("weight_map")) throw std::runtime_error(index.string() + ": no weight_map");
  std::vector<fs::path> files;
  for (auto& [name, file] : j["weight_map"].items()) {
    fs::path p = dir / file.get<std::string>();
    if (std::find(files.begin(), files.end(), p) == files.end()) files.push_back(p);
  }
  return files;
}

// The safetensors files of a checkpoint path: a directory's shards, or the one file named.
std::vector<fs::path> source_files(const fs::path& path) {
  return fs::is_directory(path) ? shard_files(path) : std::vector<fs::path>(1, path);
}

class TensorSource {
 public:
  explicit TensorSource(const std::vector<fs::path>& files) {
    for (const auto& f : files) readers_.emplace_back(f);
  }
  const SafetensorsReader* find(const std::string& name) const {
    for (const auto& r : readers_)
      if (r.contains(name)) return &r;
    return nullptr;
  }
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  // Copies tensor `name` into dst after checking its shape equals the expected (rows, cols).
  void load(const std::string& name, float* dst, std::int64_t rows, std::int64_t cols) const {
    const SafetensorsReader* r = find(name);
    if (!r) throw std::runtime_error(readers_.front().path().parent_path().string() + ": tensor '" + name + "' missing");
    const auto& shape = r->info(name).shape;
    const bool ok = cols == 0 ? (shape.size() == 1 && shape[0] == rows)
                              : (shape.size() == 2 && shape[0] == rows && shape[1] == cols);
    if (!ok) {
      std::string got, want = std::to_string(rows);
      for (auto d : shape) got.append(got.empty() ? "" : ",").append(std::to_string(d));
      if (cols) want.append(",").append(std::to_string(cols));
      throw std::runtime_error(r->path().string() + ": tensor '" + name + "' has shape [" + got + "], expected [" +
                               want + "] from config.json");
    }
    r->read_f32_into(name, dst);
  }
  // The quantization metadata (mxlab.quantization) of the checkpoint, null for a plain one.
  nlohmann::json quantization() const {
    for (const auto& r : readers_) {
      auto it = r.metadata().find(kQuantizationKey);
      if (it == r.metadata().end()) continue;
      nlohmann::json j = nlohmann::json::parse(it->second, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("tensors") || !j.contains("scheme"))
        throw std::runtime_error(r.path().string() + ": metadata " + kQuantizationKey + " is not a valid JSON object");
      return j;
    }
    return nullptr;
  }
  // Packed linear `name` (no ".weight"), its stored shape checked against (rows, cols): the values (HF row order),
  // or with `p` only its format, block and scales (the values are not decoded).
  Matrix packed(const nlohmann::json& q, const std::string& name, std::int64_t rows, std::int64_t cols,
                PackedLinear* p = nullptr) const {
    const SafetensorsReader* r = find(name + kPackedSuffix);
    if (!r || q.is_null() || !q["tensors"].contains(name))
      throw std::runtime_error(name + kPackedSuffix + ": packed tensor without its " + kQuantizationKey + " entry");
    try {
      const nlohmann::json& entry = q["tensors"][name];
      const std::vector<std::uint8_t> bytes = r->read_u8(name + kPackedSuffix);
      int got_rows = 0, got_cols = 0;
      PackedLinear pl = packed_linear(entry, bytes, got_rows, got_cols);
      if (got_rows != rows || got_cols != cols)
        throw std::runtime_error("shape [" + std::to_string(got_rows) + "," + std::to_string(got_cols) +
                                 "] differs from config.json's [" + std::to_string(rows) + "," + std::to_string(cols) + "]");
      if (p) {
        *p = std::move(pl);
        return {};
      }
      return unpack_linear(entry, bytes);
    } catch (const std::exception& e) {
      throw std::runtime_error(r->path().string() + ": packed tensor '" + name + "': " + e.what());
    }
  }

 private:
  std::vector<SafetensorsReader> readers_;
};

// The RoPE row order of a q or k weight: HF row i is llama2.c row order[i] (head h: llama2.c row 2j + a is HF row
// a * head_size/2 + j). n_heads = 0: no permutation (empty).
std::vector<int> hf_order(Eigen::Index rows, int n_heads) {
  if (n_heads <= 0) return {};
  const int head = static_cast<int>(rows) / n_heads, half = head / 2;
  if (head * n_heads != rows || head % 2 != 0)
    throw std::invalid_argument("RoPE permutation: " + std::to_string(rows) + " rows do not split into " +
                                std::to_string(n_heads) + " heads of even size");
  std::vector<int> order(static_cast<std::size_t>(rows));
  for (int h = 0; h < n_heads; ++h)
    for (int j = 0; j < half; ++j)
      for (int a = 0; a < 2; ++a) order[static_cast<std::size_t>(h * head + a * half + j)] = h * head + 2 * j + a;
  return order;
}

Matrix permute_rows(const Matrix& w, int n_heads, bool to_llama2c) {
  const std::vector<int> order = hf_order(w.rows(), n_heads);
  Matrix out(w.rows(), w.cols());
  for (Eigen::Index hf = 0; hf < w.rows(); ++hf) {
    const int l2c = order[static_cast<std::size_t>(hf)];
    if (to_llama2c) out.row(l2c) = w.row(hf);
    else out.row(hf) = w.row(l2c);
  }
  return out;
}

// The linears of a decoder layer: HF name, kind, the RoPE row permutation of q/k (by n_heads / n_kv_heads; 0:
// none) and the weight's shape (linear_shape).
struct LinearItem {
  const char* name;
  LinearKind kind;
  int heads, rows = 0, cols = 0;
};
std::vector<LinearItem> linear_items(const ModelConfig& c) {
  std::vector<LinearItem> items = {{"self_attn.q_proj", LinearKind::q, c.n_heads},
                                   {"self_attn.k_proj", LinearKind::k, c.n_kv_heads},
                                   {"self_attn.v_proj", LinearKind::v, 0},
                                   {"self_attn.o_proj", LinearKind::o, 0},
                                   {"mlp.gate_proj", LinearKind::gate, 0},
                                   {"mlp.up_proj", LinearKind::up, 0},
                                   {"mlp.down_proj", LinearKind::down, 0}};
  for (LinearItem& it : items) {
    const LinearShape s = linear_shape(c, it.kind);
    it.rows = s.out, it.cols = s.in;
  }
  return items;
}

// Layer l's RMSNorm weights and linear biases (all a streamed model keeps resident), then (load_layer) its linear
// weights; q/k rows (heads > 0) are un-permuted.
void load_norms_and_biases(const TensorSource& src, const ModelConfig& c, int l, LayerWeights& L) {
  const std::string p = "model.layers." + std::to_string(l) + ".";
  L.rms_att = Vector::Zero(c.dim), L.rms_ffn = Vector::Zero(c.dim);
  src.load(p + "input_layernorm.weight", L.rms_att.data(), c.dim, 0);
  src.load(p + "post_attention_layernorm.weight", L.rms_ffn.data(), c.dim, 0);
  for (const LinearItem& it : linear_items(c)) {
    Vector& bias = L.linear(it.kind).bias;
    bias = Vector();
    if (!src.contains(p + it.name + ".bias")) continue;  // Qwen2 q/k/v biases
    bias = Vector::Zero(it.rows);
    src.load(p + it.name + ".bias", bias.data(), it.rows, 0);
    if (it.heads > 0) bias = permute_rows(Matrix(bias), it.heads, true).col(0);
  }
}
void load_layer(const TensorSource& src, const nlohmann::json& q, const ModelConfig& c, int l, LayerWeights& L) {
  load_norms_and_biases(src, c, l, L);
  const std::string p = "model.layers." + std::to_string(l) + ".";
  for (const LinearItem& it : linear_items(c)) {
    Linear& lin = L.linear(it.kind);
    if (src.contains(p + it.name + kPackedSuffix)) {
      lin.weight = src.packed(q, p + it.name, it.rows, it.cols);
    } else {
      lin.weight.resize(it.rows, it.cols);
      src.load(p + it.name + ".weight", lin.weight.data(), it.rows, it.cols);
    }
    if (it.heads > 0) lin.weight = permute_rows(lin.weight, it.heads, true);
  }
}

// The decoder layers of a streamed checkpoint, read (memory-mapped, pages released after widening) per call.
class HfLayers final : public LayerSource {
 public:
  HfLayers(std::shared_ptr<const TensorSource> src, nlohmann::json q, const ModelConfig& c)
      : src_(std::move(src)), q_(std::move(q)), c_(c) {}
  LayerWeights layer(int l) const override {
    LayerWeights L;
    load_layer(*src_, q_, c_, l, L);
    return L;
  }
  void layer_into(int l, LayerWeights& into) const override { load_layer(*src_, q_, c_, l, into); }

 private:
  std::shared_ptr<const TensorSource> src_;
  nlohmann::json q_;
  ModelConfig c_;
};

}  // namespace

Matrix permute_hf_to_llama2c(const Matrix& w, int n_heads) { return permute_rows(w, n_heads, true); }
Matrix permute_llama2c_to_hf(const Matrix& w, int n_heads) { return permute_rows(w, n_heads, false); }

ModelWeights load_hf(const fs::path& path, bool stream) {
  const fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  const ModelConfig c = parse_config(dir / "config.json");
  const auto src = std::make_shared<const TensorSource>(source_files(path));
  ModelWeights w;  // the shapes of ModelWeights::zeros, without allocating the layers (load_layer sizes them)
  w.config = c;
  w.layers.resize(static_cast<std::size_t>(c.n_layers));
  w.token_embedding = Matrix::Zero(c.vocab_size, c.dim);
  w.rms_final = Vector::Zero(c.dim);
  const nlohmann::json q = src->quantization();
  src->load("model.embed_tokens.weight", w.token_embedding.data(), c.vocab_size, c.dim);
  if (stream) {
    for (int l = 0; l < c.n_layers; ++l) load_norms_and_biases(*src, c, l, w.layers[static_cast<std::size_t>(l)]);
    w.streamed = std::make_shared<HfLayers>(src, q, c);
  } else {
    Progress bar("load", static_cast<std::size_t>(c.n_layers));
    for (int l = 0; l < c.n_layers; ++l, bar.step()) load_layer(*src, q, c, l, w.layers[static_cast<std::size_t>(l)]);
  }
  src->load("model.norm.weight", w.rms_final.data(), c.dim, 0);
  const bool packed_head = src->contains(std::string("lm_head") + kPackedSuffix);
  if (c.shared_classifier || (!src->contains("lm_head.weight") && !packed_head)) {
    if (!c.shared_classifier)
      throw std::runtime_error(dir.string() + ": lm_head.weight missing and tie_word_embeddings is false");
    w.classifier.weight = w.token_embedding;
  } else if (packed_head) {
    w.classifier.weight = src->packed(q, "lm_head", c.vocab_size, c.dim);
  } else {
    w.classifier.weight.resize(c.vocab_size, c.dim);
    src->load("lm_head.weight", w.classifier.weight.data(), c.vocab_size, c.dim);
  }
  return w;
}

std::optional<QuantizedCheckpoint> read_quantization(const fs::path& path) {
  if (!fs::is_directory(path) && path.extension() != ".safetensors") return std::nullopt;
  const fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  const ModelConfig c = parse_config(dir / "config.json");
  const TensorSource src(source_files(path));
  const nlohmann::json q = src.quantization();
  if (q.is_null()) return std::nullopt;
  QuantizedCheckpoint out;
  out.scheme = scheme_from_json(q["scheme"]);
  out.provenance = q.value("provenance", nlohmann::json::object());
  auto add = [&](LinearId id, const std::string& name, int rows, int cols, int heads) {
    if (!src.contains(name + kPackedSuffix)) return;
    PackedLinear p;
    src.packed(q, name, rows, cols, &p);
    const std::vector<int> order = hf_order(rows, heads);  // scale rows back to the runtime's row order
    if (!order.empty()) {
      const std::size_t n = p.scales.size() / order.size();
      std::vector<std::uint8_t> s(p.scales.size());
      for (std::size_t hf = 0; hf < order.size(); ++hf)
        std::copy_n(p.scales.begin() + static_cast<std::ptrdiff_t>(hf * n), n,
                    s.begin() + static_cast<std::ptrdiff_t>(order[hf] * n));
      p.scales = std::move(s);
    }
    out.linears[id] = std::move(p);
  };
  for (int l = 0; l < c.n_layers; ++l)
    for (const LinearItem& it : linear_items(c))
      add({l, it.kind}, "model.layers." + std::to_string(l) + "." + it.name, it.rows, it.cols, it.heads);
  add({-1, LinearKind::classifier}, "lm_head", c.vocab_size, c.dim, 0);
  return out;
}

nlohmann::json hf_config_json(const ModelConfig& c, Dtype dtype, bool qwen) {
  return {
      {"architectures", {qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
      {"model_type", qwen ? "qwen2" : "llama"},
      {"hidden_size", c.dim},
      {"intermediate_size", c.hidden_dim},
      {"num_hidden_layers", c.n_layers},
      {"num_attention_heads", c.n_heads},
      {"num_key_value_heads", c.n_kv_heads},
      {"head_dim", c.head_size},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.seq_len},
      {"rms_norm_eps", c.norm_eps},
      {"rope_theta", c.rope_theta},
      {"hidden_act", "silu"},
      {"tie_word_embeddings", c.shared_classifier},
      {"bos_token_id", 1},
      {"eos_token_id", 2},
      {"torch_dtype", dtype == Dtype::f32 ? "float32" : dtype == Dtype::f16 ? "float16" : "bfloat16"},
  };
}

ModelConfig read_hf_config(const fs::path& path) {
  return parse_config((fs::is_directory(path) ? path : path.parent_path()) / "config.json");
}

std::vector<std::pair<std::string, std::vector<std::int64_t>>> hf_tensor_shapes(const ModelConfig& c) {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> out{{"model.embed_tokens.weight", {c.vocab_size, c.dim}}};
  for (int l = 0; l < c.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    out.push_back({p + "input_layernorm.weight", {c.dim}});
    out.push_back({p + "post_attention_layernorm.weight", {c.dim}});
    for (const LinearItem& it : linear_items(c)) out.push_back({p + it.name + ".weight", {it.rows, it.cols}});
  }
  out.push_back({"model.norm.weight", {c.dim}});
  if (!c.shared_classifier) out.push_back({"lm_head.weight", {c.vocab_size, c.dim}});
  return out;
}

namespace {
// A quantized linear: its packed codes and scales (rows in HF order) and its metadata entry, or false to store it
// as plain numbers.
bool add_packed(SafetensorsWriter& st, const QuantizedCheckpoint* quant, nlohmann::json& entries, LinearId id,
                const std::string& name, const Matrix& m, int heads) {
  const auto it = quant ? quant->linears.find(id) : decltype(quant->linears)::const_iterator{};
  if (!quant || it == quant->linears.end()) return false;
  std::vector<std::uint8_t> bytes = pack_linear(it->second, m, hf_order(m.rows(), heads));
  const auto row_bytes = static_cast<std::int64_t>(bytes.size()) / m.rows();
  st.add_u8(name + kPackedSuffix, {m.rows(), row_bytes}, std::move(bytes));
  entries[name] = packed_entry(it->second, m);
  return true;
}
void add_matrix(SafetensorsWriter& st, const std::string& name, const Matrix& m, Dtype dtype) {
  st.add(name, {m.rows(), m.cols()}, m.data(), dtype);
}
void add_vector(SafetensorsWriter& st, const std::string& name, const Vector& v, Dtype dtype) {
  st.add(name, {v.size()}, v.data(), dtype);
}
}  // namespace

void add_hf_layer(SafetensorsWriter& st, const ModelWeights& w, int l, Dtype dtype, const QuantizedCheckpoint* quant,
                  nlohmann::json& entries) {
  const std::string p = "model.layers." + std::to_string(l) + ".";
  const LayerWeights& L = w.layers.at(static_cast<std::size_t>(l));
  add_vector(st, p + "input_layernorm.weight", L.rms_att, dtype);
  add_vector(st, p + "post_attention_layernorm.weight", L.rms_ffn, dtype);
  for (const LinearItem& it : linear_items(w.config)) {
    const Linear& lin = w.linear({l, it.kind});
    if (!add_packed(st, quant, entries, {l, it.kind}, p + it.name, lin.weight, it.heads))
      add_matrix(st, p + it.name + ".weight", it.heads ? permute_llama2c_to_hf(lin.weight, it.heads) : lin.weight, dtype);
    if (lin.bias.size()) {
      const Vector b = it.heads ? Vector(permute_llama2c_to_hf(Matrix(lin.bias), it.heads).col(0)) : lin.bias;
      add_vector(st, p + it.name + ".bias", b, dtype);
    }
  }
}

void add_hf_head(SafetensorsWriter& st, const ModelWeights& w, Dtype dtype, const QuantizedCheckpoint* quant,
                 nlohmann::json& entries) {
  const ModelConfig& c = w.config;
  if (c.shared_classifier && w.classifier.weight != w.token_embedding)
    throw std::invalid_argument("save: the classifier differs from the token embedding but config.shared_classifier "
                                "is set (set it to false to save a separate classifier)");
  const auto view = [&](const std::string& name, const Matrix& m) { st.add_view(name, {m.rows(), m.cols()}, m.data(), dtype); };
  view("model.embed_tokens.weight", w.token_embedding);  // the largest tensors: read from `w` when st is written
  add_vector(st, "model.norm.weight", w.rms_final, dtype);
  if (!c.shared_classifier && !add_packed(st, quant, entries, {-1, LinearKind::classifier}, "lm_head", w.classifier.weight, 0))
    view("lm_head.weight", w.classifier.weight);
}

std::string quantization_metadata(const QuantizedCheckpoint& quant, const nlohmann::json& entries) {
  const nlohmann::json q = {{"version", 1}, {"scheme", scheme_to_json(quant.scheme)}, {"provenance", quant.provenance},
                            {"tensors", entries}};
  return q.dump();
}

void write_hf_config(const fs::path& dir, const ModelWeights& w, Dtype dtype) {
  const bool qwen = !w.layers.empty() && w.layers[0].q.bias.size() > 0;
  AtomicFile cfg(dir / "config.json");
  const std::string text = hf_config_json(w.config, dtype, qwen).dump(2) + "\n";
  cfg.write(text.data(), text.size());
  cfg.commit();
}

void save_hf(const ModelWeights& w, const fs::path& path, Dtype dtype, const QuantizedCheckpoint* quant) {
  const bool file = path.extension() == ".safetensors";  // that file, with config.json beside it
  const fs::path dir = file ? (path.has_parent_path() ? path.parent_path() : fs::path(".")) : path;
  SafetensorsWriter st;
  st.set_metadata("format", "pt");
  nlohmann::json entries = nlohmann::json::object();
  add_hf_head(st, w, dtype, quant, entries);
  for (int l = 0; l < w.config.n_layers; ++l) add_hf_layer(st, w, l, dtype, quant, entries);
  if (quant) st.set_metadata(kQuantizationKey, quantization_metadata(*quant, entries));
  fs::create_directories(dir);  // only now: a weight off its scales' grid (pack_linear throws) leaves nothing behind
  // config.json first: killed between the two renames, weights without their config would not load
  const bool had_config = fs::exists(dir / "config.json");
  write_hf_config(dir, w, dtype);
  try {
    st.write(file ? path : dir / "model.safetensors");
  } catch (...) {  // e.g. a full disk: leave nothing new behind
    std::error_code ec;
    if (!had_config) fs::remove(dir / "config.json", ec);
    throw;
  }
}

}  // namespace mxlab::model
