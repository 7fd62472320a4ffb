// Workloads: the GEMMs and attention of one Llama decoder layer for a model shape (named, or read from a checkpoint's
// config.json / llama2.c header), in prefill (M = batch x sequence) or decode (M = batch, KV cache from DRAM).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "formats/format.hpp"

namespace mxlab::sim {

struct LlamaShape {
  std::string name;
  int dim = 0, hidden = 0, heads = 0, kv_heads = 0, layers = 0;
  int head_dim() const { return dim / heads; }
};

// "stories260k", "tinyllama-1.1b" (or "1.1b"), "llama-7b" ("7b"), "llama-70b" ("70b"); throws naming the known ones.
LlamaShape named_shape(const std::string& name);
std::string shape_names();
// A checkpoint's shape only: a HF config.json (hidden_size, intermediate_size, num_attention_heads,
// num_key_value_heads, num_hidden_layers), a directory holding one, or a llama2.c .bin (7 int32 header).
LlamaShape read_shape(const std::filesystem::path& path);

enum class Phase { prefill, decode };
Phase parse_phase(const std::string& s);  // "prefill" | "decode"
const char* phase_name(Phase p);

// out[M x N] = A[M x K] W[N x K]^T, `count` times (independent instances, e.g. one per KV head). A is in `a_fmt`,
// W in `w_fmt` (the weight format for projections; the activation format for the K/V cache of attention).
struct Gemm {
  std::string name;
  std::int64_t m = 0, n = 0, k = 0;
  std::int64_t count = 1;
  Format a_fmt{}, w_fmt{};
  double macs() const { return double(m) * double(n) * double(k) * double(count); }
};

struct WorkloadOptions {
  Phase phase = Phase::prefill;
  std::int64_t seq = 2048;  // prefill: tokens per sequence; decode: context length (KV cache entries)
  std::int64_t batch = 1;
  Format weights = Format::mxint8, acts = Format::mxint8;
};

// One decoder layer: q, k, v, o projections, attention scores QK^T and PV per KV head (the group's query heads stacked
// into M: GQA reads each K/V once), w1, w3 (gate, up), w2 (down). Softmax, RoPE and norms are not array work.
std::vector<Gemm> decoder_layer(const LlamaShape& s, const WorkloadOptions& o);
// Tokens the layer processes (prefill: batch x seq; decode: batch): the denominator of per-token figures.
std::int64_t layer_tokens(const WorkloadOptions& o);

}  // namespace mxlab::sim
