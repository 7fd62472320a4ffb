// Llama decoder-layer workloads from a named or checkpoint shape (only the shape is read: sim never links model/).
#include "sim/workload.hpp"

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace mxlab::sim {

namespace {
struct Named {
  const char* name;
  const char* alias;
  LlamaShape shape;
};
// stories260K: the llama2.c header of the data directory's model (dim 64, hidden 172, 8 heads, 4 KV heads, 5 layers).
// TinyLlama-1.1B, Llama-2-7B and Llama-2-70B: the configs published with the checkpoints (hidden_size,
// intermediate_size, num_attention_heads, num_key_value_heads, num_hidden_layers).
const Named kNamed[] = {
    {"stories260k", "260k", {"stories260k", 64, 172, 8, 4, 5}},
    {"tinyllama-1.1b", "1.1b", {"tinyllama-1.1b", 2048, 5632, 32, 4, 22}},
    {"llama-7b", "7b", {"llama-7b", 4096, 11008, 32, 32, 32}},
    {"llama-70b", "70b", {"llama-70b", 8192, 28672, 64, 8, 80}},
};

void check(const LlamaShape& s, const std::string& where) {
  if (s.dim <= 0 || s.hidden <= 0 || s.heads <= 0 || s.kv_heads <= 0 || s.layers <= 0 || s.dim % s.heads ||
      s.heads % s.kv_heads)
    throw std::invalid_argument(where + ": not a Llama shape (dim " + std::to_string(s.dim) + ", hidden " +
                                std::to_string(s.hidden) + ", heads " + std::to_string(s.heads) + ", kv heads " +
                                std::to_string(s.kv_heads) + ", layers " + std::to_string(s.layers) + ")");
}
}  // namespace

std::string shape_names() {
  std::string s;
  for (const Named& n : kNamed) s += (s.empty() ? "" : ", ") + std::string(n.name) + " (" + n.alias + ")";
  return s;
}

LlamaShape named_shape(const std::string& name) {
  for (const Named& n : kNamed)
    if (name == n.name || name == n.alias) return n.shape;
  throw std::invalid_argument("unknown model shape '" + name + "' (known: " + shape_names() + ")");
}

LlamaShape read_shape(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  fs::path p = fs::is_directory(path) ? path / "config.json" : path;
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::invalid_argument(p.string() + ": cannot open (a config.json, its directory or a llama2.c .bin)");
  LlamaShape s;
  s.name = path.filename().string();
  if (p.extension() == ".json") {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
      s.dim = j.at("hidden_size").get<int>();
      s.hidden = j.at("intermediate_size").get<int>();
      s.heads = j.at("num_attention_heads").get<int>();
      s.kv_heads = j.value("num_key_value_heads", s.heads);
      s.layers = j.at("num_hidden_layers").get<int>();
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(p.string() + ": " + e.what());
    }
  } else {  // llama2.c: int32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative: unshared), seq_len
    std::int32_t h[7];
    if (!in.read(reinterpret_cast<char*>(h), sizeof h))
      throw std::invalid_argument(p.string() + ": shorter than a llama2.c header (7 int32)");
    s.dim = h[0], s.hidden = h[1], s.layers = h[2], s.heads = h[3], s.kv_heads = h[4];
  }
  check(s, p.string());
  return s;
}

Phase parse_phase(const std::string& s) {
  if (s == "prefill") return Phase::prefill;
  if (s == "decode") return Phase::decode;
  throw std::invalid_argument("unknown phase '" + s + "' (known: prefill, decode)");
}
const char* phase_name(Phase p) { return p == Phase::prefill ? "prefill" : "decode"; }

std::int64_t layer_tokens(const WorkloadOptions& o) { return o.phase == Phase::prefill ? o.batch * o.seq : o.batch; }

std::vector<Gemm> decoder_layer(const LlamaShape& s, const WorkloadOptions& o) {
  check(s, s.name);
  if (o.seq < 1 || o.batch < 1) throw std::invalid_argument("seq and batch must be >= 1");
  const std::int64_t m = layer_tokens(o), hd = s.head_dim(), kv = std::int64_t(s.kv_heads) * hd;
  const std::int64_t group = s.heads / s.kv_heads;
  const Format w = o.weights, a = o.acts;
  std::vector<Gemm> g{
      {"wq", m, s.dim, s.dim, 1, a, w},
      {"wk", m, kv, s.dim, 1, a, w},
      {"wv", m, kv, s.dim, 1, a, w},
  };
  // Attention per (sequence, KV head): the group's query heads stacked along M share one read of K and V (GQA).
  // Prefill scores every query against all seq keys (no causal skipping); decode: one query per sequence vs seq keys.
  const std::int64_t q_rows = (o.phase == Phase::prefill ? o.seq : 1) * group;
  const std::int64_t inst = o.batch * s.kv_heads;
  g.push_back({"qk", q_rows, o.seq, hd, inst, a, a});  // S = Q K^T: K cache rows are the "weights"
  g.push_back({"pv", q_rows, hd, o.seq, inst, a, a});  // O = P V: V^T (head_dim x seq) is the "weights"
  g.push_back({"wo", m, s.dim, s.dim, 1, a, w});
  g.push_back({"w1", m, s.hidden, s.dim, 1, a, w});
  g.push_back({"w3", m, s.hidden, s.dim, 1, a, w});
  g.push_back({"w2", m, s.dim, s.hidden, 1, a, w});
  return g;
}

}  // namespace mxlab::sim
