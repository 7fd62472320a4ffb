// Llama-family model hyper-parameters and weights (PyTorch layout: every linear weight is out x in, row-major).
#pragma once
#include <Eigen/Core>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mxlab::model {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;

struct ModelConfig {
  int dim = 0;          // residual width
  int hidden_dim = 0;   // SwiGLU width
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;   // grouped-query attention: n_heads % n_kv_heads == 0
  int vocab_size = 0;
  int seq_len = 0;      // maximum context
  int head_size = 0;    // usually dim / n_heads (HF configs may set head_dim explicitly)
  float norm_eps = 1e-5f;      // RMSNorm epsilon (llama2.c: 1e-5)
  float rope_theta = 10000.f;  // RoPE base (llama2.c: 10000)
  bool shared_classifier = true;

  int q_dim() const { return n_heads * head_size; }
  int kv_dim() const { return n_kv_heads * head_size; }
  // Throws std::invalid_argument (prefixed by `where`) when the shape is inconsistent.
  void validate(const std::string& where) const;
};

// The seven linear layers of a block plus the classifier. Names follow llama2.c's run.c roles.
enum class LinearKind { q, k, v, o, gate, up, down, classifier };
inline constexpr LinearKind kBlockLinears[] = {LinearKind::q,    LinearKind::k,  LinearKind::v,   LinearKind::o,
                                               LinearKind::gate, LinearKind::up, LinearKind::down};

struct LinearId {
  int layer = -1;  // -1 for the classifier
  LinearKind kind = LinearKind::classifier;
  bool operator==(const LinearId&) const = default;
  auto operator<=>(const LinearId&) const = default;
};
// "layers.3.q", "layers.0.down", "classifier"; parse_linear_id is the inverse (throws on a bad name).
std::string linear_name(LinearId id);
std::string_view kind_name(LinearKind k);
LinearId parse_linear_id(std::string_view name);

// The out x in shape of linear `kind` in a model of config c.
struct LinearShape {
  int out = 0, in = 0;
};
LinearShape linear_shape(const ModelConfig& c, LinearKind kind);

struct Linear {
  Matrix weight;  // out x in
  Vector bias;    // empty = none (Qwen2 q/k/v have biases)
  int in() const { return static_cast<int>(weight.cols()); }
  int out() const { return static_cast<int>(weight.rows()); }
};

struct LayerWeights {
  Vector rms_att;   // input_layernorm
  Vector rms_ffn;   // post_attention_layernorm
  Linear q, k, v, o;
  Linear gate, up, down;  // llama2.c w1, w3, w2
  const Linear& linear(LinearKind k) const;  // throws std::invalid_argument for the classifier
  Linear& linear(LinearKind k) { return const_cast<Linear&>(static_cast<const LayerWeights&>(*this).linear(k)); }
};

// Where the decoder layers of a streamed model live (a checkpoint too large to hold in FP32): each call reads
// layer l from the file (kept there in its own dtype, memory-mapped) and widens it to FP32.
class LayerSource {
 public:
  virtual ~LayerSource() = default;
  virtual LayerWeights layer(int l) const = 0;
  // The same into `into`, reusing its buffers where the shapes match (no fresh pages per layer).
  virtual void layer_into(int l, LayerWeights& into) const { into = layer(l); }
};

struct ModelWeights {
  ModelConfig config;
  Matrix token_embedding;  // vocab x dim
  std::vector<LayerWeights> layers;  // streamed: n_layers entries holding only the RMSNorm weights and biases
  Vector rms_final;
  Linear classifier;  // vocab x dim; when config.shared_classifier its weight equals token_embedding
  // Set for a streamed model: the block linears are not in `layers` but read per layer through it (Runtime does
  // this while it computes a layer); linear() then throws for them. Null: every weight is resident in FP32.
  std::shared_ptr<const LayerSource> streamed;

  Linear& linear(LinearId id);
  const Linear& linear(LinearId id) const;
  const Vector& bias(LinearId id) const;  // empty = none; resident in a streamed model too
  // Every linear layer in forward order (layer 0 q..down, ..., classifier).
  std::vector<LinearId> linear_ids() const;
  // Allocates zero tensors of the right shapes for `config`.
  static ModelWeights zeros(const ModelConfig& config);
  // Random weights (normal, std 0.02 for linears / 1 for embeddings) for tests and benchmarks.
  static ModelWeights random(const ModelConfig& config, unsigned seed);

 private:
  const Linear& slot(LinearId id) const;  // the Linear in `layers`/`classifier`, range-checked, streamed or not
};

}  // namespace mxlab::model
