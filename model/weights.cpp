// Model config validation, linear-layer naming and weight allocation.
#include "model/weights.hpp"

#include <random>
#include <stdexcept>

namespace mxlab::model {

void ModelConfig::validate(const std::string& where) const {
  auto bad = [&](const std::string& what) {
    throw std::invalid_argument(where + ": invalid model config: " + what);
  };
  if (dim <= 0 || hidden_dim <= 0 || n_layers <= 0 || n_heads <= 0 || n_kv_heads <= 0 || vocab_size <= 0 ||
      seq_len <= 0 || head_size <= 0)
    bad("dim=" + std::to_string(dim) + " hidden_dim=" + std::to_string(hidden_dim) + " n_layers=" +
        std::to_string(n_layers) + " n_heads=" + std::to_string(n_heads) + " n_kv_heads=" +
        std::to_string(n_kv_heads) + " vocab_size=" + std::to_string(vocab_size) + " seq_len=" +
        std::to_string(seq_len) + " head_size=" + std::to_string(head_size) + " (all must be positive)");
  if (n_heads % n_kv_heads != 0)
    bad("n_heads=" + std::to_string(n_heads) + " is not a multiple of n_kv_heads=" + std::to_string(n_kv_heads));
  if (head_size % 2 != 0) bad("head_size=" + std::to_string(head_size) + " must be even for RoPE");
  if (dim > (1 << 20) || hidden_dim > (1 << 22) || n_layers > 4096 || vocab_size > (1 << 24) || seq_len > (1 << 24))
    bad("implausibly large dimensions (is this really a model file?)");
}

std::string_view kind_name(LinearKind k) {
  switch (k) {
    case LinearKind::q: return "q";
    case LinearKind::k: return "k";
    case LinearKind::v: return "v";
    case LinearKind::o: return "o";
    case LinearKind::gate: return "gate";
    case LinearKind::up: return "up";
    case LinearKind::down: return "down";
    case LinearKind::classifier: return "classifier";
  }
  return "?";
}

std::string linear_name(LinearId id) {
  if (id.kind == LinearKind::classifier) return "classifier";
  return "layers." + std::to_string(id.layer) + "." + std::string(kind_name(id.kind));
}

LinearId parse_linear_id(std::string_view name) {
  if (name == "classifier") return {};
  auto fail = [&] {
    return std::invalid_argument("bad linear layer name '" + std::string(name) +
                                 "': expected 'classifier' or 'layers.<N>.<q|k|v|o|gate|up|down>'");
  };
  if (!name.starts_with("layers.")) throw fail();
  auto rest = name.substr(7);
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) throw fail();
  int layer = 0;
  for (char c : rest.substr(0, dot)) {
    if (c < '0' || c > '9') throw fail();
    layer = layer * 10 + (c - '0');
  }
  for (LinearKind k : kBlockLinears)
    if (kind_name(k) == rest.substr(dot + 1)) return {layer, k};
  throw fail();
}

Linear& ModelWeights::linear(LinearId id) {
  return const_cast<Linear&>(static_cast<const ModelWeights&>(*this).linear(id));
}

const Linear& ModelWeights::slot(LinearId id) const {
  if (id.kind == LinearKind::classifier) return classifier;
  if (id.layer < 0 || id.layer >= static_cast<int>(layers.size()))
    throw std::out_of_range("linear layer " + linear_name(id) + " does not exist (model has " +
                            std::to_string(layers.size()) + " layers)");
  return layers[id.layer].linear(id.kind);
}

const Linear& ModelWeights::linear(LinearId id) const {
  const Linear& l = slot(id);
  if (streamed && id.kind != LinearKind::classifier)
    throw std::logic_error(linear_name(id) + ": the model is streamed (its layers are read per layer while computed); "
                           "this needs the model loaded resident in FP32");
  return l;
}

const Vector& ModelWeights::bias(LinearId id) const { return slot(id).bias; }

const Linear& LayerWeights::linear(LinearKind k) const {
  switch (k) {
    case LinearKind::q: return q;
    case LinearKind::k: return this->k;
    case LinearKind::v: return v;
    case LinearKind::o: return o;
    case LinearKind::gate: return gate;
    case LinearKind::up: return up;
    case LinearKind::down: return down;
    case LinearKind::classifier: break;
  }
  throw std::invalid_argument("the classifier is not a decoder layer's linear");
}

std::vector<LinearId> ModelWeights::linear_ids() const {
  std::vector<LinearId> ids;
  for (int l = 0; l < static_cast<int>(layers.size()); ++l)
    for (LinearKind k : kBlockLinears) ids.push_back({l, k});
  ids.push_back({});
  return ids;
}

LinearShape linear_shape(const ModelConfig& c, LinearKind kind) {
  switch (kind) {
    case LinearKind::q: return {c.q_dim(), c.dim};
    case LinearKind::k:
    case LinearKind::v: return {c.kv_dim(), c.dim};
    case LinearKind::o: return {c.dim, c.q_dim()};
    case LinearKind::gate:
    case LinearKind::up: return {c.hidden_dim, c.dim};
    case LinearKind::down: return {c.dim, c.hidden_dim};
    case LinearKind::classifier: break;
  }
  return {c.vocab_size, c.dim};
}

ModelWeights ModelWeights::zeros(const ModelConfig& c) {
  ModelWeights w;
  w.config = c;
  auto lin = [&](LinearKind k) {
    const LinearShape s = linear_shape(c, k);
    return Linear{Matrix::Zero(s.out, s.in), Vector()};
  };
  w.token_embedding = Matrix::Zero(c.vocab_size, c.dim);
  w.layers.resize(c.n_layers);
  for (LayerWeights& l : w.layers) {
    l.rms_att = Vector::Zero(c.dim);
    l.rms_ffn = Vector::Zero(c.dim);
    for (LinearKind k : kBlockLinears) l.linear(k) = lin(k);
  }
  w.rms_final = Vector::Zero(c.dim);
  w.classifier = lin(LinearKind::classifier);
  return w;
}

ModelWeights ModelWeights::random(const ModelConfig& c, unsigned seed) {
  ModelWeights w = zeros(c);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01(0.f, 1.f);
  auto fill = [&](auto& m, float stddev, float mean = 0.f) {
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = mean + stddev * n01(rng);
  };
  fill(w.token_embedding, 1.f);
  for (LayerWeights& l : w.layers) {
    fill(l.rms_att, 0.1f, 1.f);
    fill(l.rms_ffn, 0.1f, 1.f);
    for (Linear* p : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) fill(p->weight, 0.2f);
  }
  fill(w.rms_final, 0.1f, 1.f);
  if (c.shared_classifier)
    w.classifier.weight = w.token_embedding;
  else
    fill(w.classifier.weight, 0.2f);
  return w;
}

}  // namespace mxlab::model
