// Text generation from the model (llama2.c run.c generate loop and sampler), e.g. for data-free calibration.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "model/runtime.hpp"

namespace mxlab::model {

struct GenerateOptions {
  int steps = 256;             // total positions incl. the prompt (run.c); 0 or > seq_len = seq_len
  float temperature = 1.0f;    // 0 = greedy argmax
  float top_p = 1.0f;          // nucleus sampling when in (0, 1) (run.c sample_topp); 1 = plain sampling
  std::uint64_t seed = 42;     // xorshift state (run.c random_u32); must be non-zero
  std::function<void(int prev, int next)> on_token;  // streaming callback
};

// run.c generate(): feeds prompt (which must be non-empty, normally BOS-first), then samples until `steps`
// positions or until BOS is sampled. Returns prompt + generated tokens (the terminating BOS excluded).
std::vector<int> generate(Runtime& model, const std::vector<int>& prompt, const GenerateOptions& opt = {});
// The checks generate() starts with (non-empty prompt that fits, temperature >= 0, seed != 0); returns the
// number of positions it will run. Throws std::invalid_argument.
int check_generate(const ModelConfig& config, const std::vector<int>& prompt, const GenerateOptions& opt);

// run.c sampler on one logits row (modified in place: temperature and softmax). `rng` is the xorshift state.
int sample_token(float* logits, int n, float temperature, float top_p, std::uint64_t& rng);

}  // namespace mxlab::model
