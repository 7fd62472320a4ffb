// Small synthetic Llama models and token streams for the PTQ library tests (vocabulary 64, context 32).
#pragma once
#include <memory>
#include <random>
#include <vector>

#include "model/weights.hpp"

namespace mxlab::algorithms::test {

// dim 32, 2 layers, 4 heads of 8 with 2 KV heads (grouped-query attention); a hidden_dim off the 32-element block
// grid gives down_proj rows a partial last block (44: ceil(44/32) = 2 blocks per row).
inline std::shared_ptr<const model::ModelWeights> tiny_model(int hidden_dim = 44, unsigned seed = 11) {
  model::ModelConfig c;
  c.dim = 32; c.hidden_dim = hidden_dim; c.n_layers = 2; c.n_heads = 4; c.n_kv_heads = 2;
  c.vocab_size = 64; c.seq_len = 32; c.head_size = 8;
  return std::make_shared<model::ModelWeights>(model::ModelWeights::random(c, seed));
}

inline std::vector<int> random_tokens(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int> t(static_cast<std::size_t>(n));
  for (auto& v : t) v = static_cast<int>(rng() % 64);
  return t;
}

}  // namespace mxlab::algorithms::test
