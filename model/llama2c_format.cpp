// llama2.c checkpoint reader/writer: legacy v0 (run.c memory_map_weights), v1 and v2 (export.py).
#include "model/llama2c_format.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "formats/atomic_file.hpp"
#include "model/binary_file.hpp"

namespace mxlab::model {
namespace {

constexpr std::uint64_t kVersionedHeaderBytes = 256;

// One weight tensor in file order: its name for messages and its storage.
struct Slot {
  std::string name;
  float* data;
  std::uint64_t count;
};

Slot slot(const std::string& name, Matrix& m) { return {name, m.data(), static_cast<std::uint64_t>(m.size())}; }
Slot slot(const std::string& name, Vector& v) { return {name, v.data(), static_cast<std::uint64_t>(v.size())}; }

// The tensors of `w` in the order version `version` stores them (v2: only the quantized ones).
std::vector<Slot> file_order(ModelWeights& w, int version) {
  std::vector<Slot> s;
  const int L = static_cast<int>(w.layers.size());
  auto per_layer = [&](const char* name, auto member) {
    for (int l = 0; l < L; ++l) s.push_back(slot(std::string(name) + "[" + std::to_string(l) + "]", member(w.layers[l])));
  };
  auto q = [](LayerWeights& l) -> Matrix& { return l.q.weight; };
  auto k = [](LayerWeights& l) -> Matrix& { return l.k.weight; };
  auto v = [](LayerWeights& l) -> Matrix& { return l.v.weight; };
  auto o = [](LayerWeights& l) -> Matrix& { return l.o.weight; };
  auto w1 = [](LayerWeights& l) -> Matrix& { return l.gate.weight; };
  auto w2 = [](LayerWeights& l) -> Matrix& { return l.down.weight; };
  auto w3 = [](LayerWeights& l) -> Matrix& { return l.up.weight; };
  auto ra = [](LayerWeights& l) -> Vector& { return l.rms_att; };
  auto rf = [](LayerWeights& l) -> Vector& { return l.rms_ffn; };
  if (version == 0) {  // run.c memory_map_weights
    s.push_back(slot("token_embedding", w.token_embedding));
    per_layer("rms_att", ra);
    per_layer("wq", q), per_layer("wk", k), per_layer("wv", v), per_layer("wo", o);
    per_layer("rms_ffn", rf);
    per_layer("w1", w1), per_layer("w2", w2), per_layer("w3", w3);
    s.push_back(slot("rms_final", w.rms_final));
    return s;  // freq_cis tables and wcls are handled by the caller
  }
  if (version == 1) {
    per_layer("rms_att", ra), per_layer("rms_ffn", rf);
    s.push_back(slot("rms_final", w.rms_final));
  }
  s.push_back(slot("token_embedding", w.token_embedding));
  per_layer("wq", q), per_layer("wk", k), per_layer("wv", v), per_layer("wo", o);
  per_layer("w1", w1), per_layer("w2", w2), per_layer("w3", w3);
  if (!w.config.shared_classifier) s.push_back(slot("wcls", w.classifier.weight));
  return s;
}

ModelConfig read_dims(BinaryReader& in, int version) {
  ModelConfig c;
  std::int32_t h[7];
  in.read(h, sizeof h, "the 7-int header");
  c.dim = h[0], c.hidden_dim = h[1], c.n_layers = h[2], c.n_heads = h[3], c.n_kv_heads = h[4];
  c.vocab_size = h[5], c.seq_len = h[6];
  if (version == 0) {
    c.shared_classifier = c.vocab_size > 0;  // run.c: negative vocab_size signals a separate classifier
    c.vocab_size = std::abs(c.vocab_size);
  }
  c.head_size = c.n_heads > 0 ? c.dim / c.n_heads : 0;
  if (c.n_heads > 0 && c.dim % c.n_heads != 0) c.head_size = 0;
  try {
    c.validate("header");
  } catch (const std::exception& e) {
    in.fail(std::string(e.what()) + " — not a llama2.c checkpoint, or a corrupt header");
  }
  return c;
}

void read_fp32(BinaryReader& in, const Slot& s) { in.read(s.data, s.count * sizeof(float), s.name); }

void read_q80(BinaryReader& in, const Slot& s, int group) {
  if (s.count % group != 0)
    in.fail(s.name + " has " + std::to_string(s.count) + " values, not a multiple of group size " + std::to_string(group));
  std::vector<std::int8_t> q(s.count);
  std::vector<float> scale(s.count / group);
  in.read(q.data(), q.size(), s.name + " (int8 values)");
  in.read(scale.data(), scale.size() * sizeof(float), s.name + " (scales)");
  for (std::uint64_t i = 0; i < s.count; ++i) s.data[i] = static_cast<float>(q[i]) * scale[i / group];
}

// Exact file size implied by the header, checked before allocating anything.
std::uint64_t expected_size(const ModelConfig& c, int version, int group) {
  using u64 = std::uint64_t;
  const u64 D = c.dim, H = c.hidden_dim, L = c.n_layers, V = c.vocab_size;
  const u64 norms = (2 * L + 1) * D;
  std::vector<u64> mats = {V * D};
  for (u64 n : {D * c.q_dim(), D * c.kv_dim(), D * c.kv_dim(), D * c.q_dim(), D * H, D * H, D * H})
    for (u64 l = 0; l < L; ++l) mats.push_back(n);
  if (!c.shared_classifier) mats.push_back(V * D);
  u64 bytes = version == 0 ? 28 : kVersionedHeaderBytes;
  bytes += norms * 4;
  for (u64 n : mats) bytes += version == 2 ? n + n / group * 4 : n * 4;
  if (version == 0) bytes += u64(c.seq_len) * c.head_size * 4;  // freq_cis_real + freq_cis_imag
  return bytes;
}

void expect_end(BinaryReader& in) {
  if (in.position() != in.size())
    in.fail("size mismatch: the header implies " + std::to_string(in.position()) + " bytes but the file has " +
            std::to_string(in.size()) + " (corrupt header or not a llama2.c checkpoint)");
}

}  // namespace

ModelWeights load_llama2c(const std::filesystem::path& path) {
  BinaryReader in(path);
  const auto first = in.value<std::uint32_t>("the magic / dim field");
  int version = 0;
  if (first == kLlama2cMagic) {
    version = in.value<std::int32_t>("the version field");
    if (version != 1 && version != 2)
      in.fail("unsupported llama2.c checkpoint version " + std::to_string(version) + " (supported: 0 legacy, 1, 2)");
  } else {
    in.seek(0);
  }
  ModelConfig c = read_dims(in, version);
  int group = 0;
  if (version > 0) {
    c.shared_classifier = in.value<std::uint8_t>("the shared_classifier flag") != 0;
    if (version == 2) {
      group = in.value<std::int32_t>("the group size");
      if (group <= 0 || group > (1 << 20)) in.fail("bad Q8_0 group size " + std::to_string(group));
    }
    in.seek(kVersionedHeaderBytes);
  }
  // Check the total size before allocating (a corrupt header must not allocate gigabytes).
  if (const auto need = expected_size(c, version, group); need != in.size())
    in.fail(std::string(need > in.size() ? "truncated: " : "size mismatch: ") + "the header (version " +
            std::to_string(version) + ", dim=" + std::to_string(c.dim) + ", layers=" + std::to_string(c.n_layers) +
            ", vocab=" + std::to_string(c.vocab_size) + ") implies " + std::to_string(need) +
            " bytes but the file has " + std::to_string(in.size()) +
            (need > in.size() ? " (incomplete download or copy?)" : " (not a llama2.c checkpoint, or corrupt header)"));
  ModelWeights w = ModelWeights::zeros(c);
  if (version == 0) {
    for (const Slot& s : file_order(w, 0)) read_fp32(in, s);
    in.skip(2ull * c.seq_len * c.head_size / 2 * sizeof(float), "the legacy freq_cis_real/imag RoPE tables");
    if (!c.shared_classifier) read_fp32(in, slot("wcls", w.classifier.weight));
  } else {
    if (version == 2) {
      for (LayerWeights& l : w.layers) read_fp32(in, slot("rms_att", l.rms_att));
      for (LayerWeights& l : w.layers) read_fp32(in, slot("rms_ffn", l.rms_ffn));
      read_fp32(in, slot("rms_final", w.rms_final));
    }
    for (const Slot& s : file_order(w, version)) version == 1 ? read_fp32(in, s) : read_q80(in, s, group);
  }
  expect_end(in);
  if (c.shared_classifier) w.classifier.weight = w.token_embedding;
  return w;
}

namespace {

void write_q80(AtomicFile& out, const float* x, std::uint64_t n, int group) {
  // export.py quantize_q80: scale = max|w| / 127 per group, q = round-half-even(w / scale).
  std::vector<std::int8_t> q(n);
  std::vector<float> scale(n / group);
  for (std::uint64_t g = 0; g < n / group; ++g) {
    float amax = 0.f;
    for (int i = 0; i < group; ++i) amax = std::max(amax, std::fabs(x[g * group + i]));
    scale[g] = amax / 127.0f;
    for (int i = 0; i < group; ++i)
      q[g * group + i] = scale[g] == 0.f ? 0 : static_cast<std::int8_t>(std::nearbyint(x[g * group + i] / scale[g]));
  }
  out.write(q.data(), q.size());
  out.write(scale.data(), scale.size() * sizeof(float));
}

}  // namespace

void save_llama2c(const ModelWeights& weights, const std::filesystem::path& path, int version, int group_size) {
  if (version < 0 || version > 2)
    throw std::invalid_argument("save_llama2c: version must be 0, 1 or 2 (got " + std::to_string(version) + ")");
  ModelWeights& w = const_cast<ModelWeights&>(weights);  // file_order needs non-const pointers; we only read
  const ModelConfig& c = w.config;
  if (c.head_size * c.n_heads != c.dim)
    throw std::invalid_argument("save_llama2c: llama2.c requires head_size * n_heads == dim");
  if (c.rope_theta != 10000.f || c.norm_eps != 1e-5f)  // the file format has no field for either
    throw std::invalid_argument("save_llama2c: llama2.c files assume rope_theta 10000 and norm_eps 1e-5; save as HF");
  for (const LayerWeights& l : w.layers)
    if (l.q.bias.size() || l.k.bias.size() || l.v.bias.size())
      throw std::invalid_argument("save_llama2c: llama2.c has no linear biases (Qwen2-style model?)");
  if (c.shared_classifier && w.classifier.weight != w.token_embedding)
    throw std::invalid_argument("save: the classifier differs from the token embedding but config.shared_classifier "
                                "is set (set it to false to save a separate classifier)");
  AtomicFile out(path);
  std::int32_t h[7] = {c.dim, c.hidden_dim, c.n_layers, c.n_heads, c.n_kv_heads, c.vocab_size, c.seq_len};
  if (version == 0) {
    if (!c.shared_classifier) h[5] = -h[5];
    out.write(h, sizeof h);
    for (const Slot& s : file_order(w, 0)) out.write(s.data, s.count * sizeof(float));
    // export.py legacy_export: freqs_cos then freqs_sin, seq_len x head_size/2 (precompute_freqs_cis).
    for (int table = 0; table < 2; ++table)
      for (int t = 0; t < c.seq_len; ++t)
        for (int i = 0; i < c.head_size / 2; ++i) {
          float freq = 1.0f / std::pow(c.rope_theta, static_cast<float>(2 * i) / static_cast<float>(c.head_size));
          float a = static_cast<float>(t) * freq;
          out.value(table == 0 ? std::cos(a) : std::sin(a));
        }
    if (!c.shared_classifier) out.write(w.classifier.weight.data(), w.classifier.weight.size() * sizeof(float));
    out.commit();
    return;
  }
  while (version == 2 && c.dim % group_size != 0) group_size /= 2;  // export.py "BACKOFF"
  std::vector<std::uint8_t> header(kVersionedHeaderBytes, 0);
  auto put = [&](std::size_t at, const void* p, std::size_t n) { std::memcpy(header.data() + at, p, n); };
  const std::int32_t ver = version;
  put(0, &kLlama2cMagic, 4), put(4, &ver, 4), put(8, h, sizeof h);
  header[36] = c.shared_classifier ? 1 : 0;
  if (version == 2) put(37, &group_size, 4);
  out.write(header.data(), header.size());
  if (version == 2) {
    for (const LayerWeights& l : w.layers) out.write(l.rms_att.data(), l.rms_att.size() * sizeof(float));
    for (const LayerWeights& l : w.layers) out.write(l.rms_ffn.data(), l.rms_ffn.size() * sizeof(float));
    out.write(w.rms_final.data(), w.rms_final.size() * sizeof(float));
  }
  for (const Slot& s : file_order(w, version)) {
    if (version == 1) {
      out.write(s.data, s.count * sizeof(float));
    } else {
      if (s.count % group_size != 0)
        throw std::invalid_argument("save_llama2c v2: " + s.name + " has " + std::to_string(s.count) +
                                    " values, not a multiple of group size " + std::to_string(group_size));
      write_q80(out, s.data, s.count, group_size);
    }
  }
  out.commit();
}

}  // namespace mxlab::model
