// Calibration token streams for PTQ: a text file, or samples the FP32 model writes itself (data-free).
#pragma once
#include <cstdint>
#include <filesystem>
#include <vector>

#include "model/runtime.hpp"
#include "model/tokenizer.hpp"

namespace mxlab::algorithms {

struct CalibOptions {
  std::filesystem::path text;  // empty = self-generated samples
  int samples = 16;            // windows of calibration data
  int length = 256;            // tokens per window
  std::uint64_t seed = 1234;   // sampling seed (generated samples)
};

// samples * length tokens: from the text (tokenized as for evaluation, cut to size), or generated stories
// (temperature 1, from BOS, each BOS-first) concatenated until long enough. Throws if the text is too short.
std::vector<int> calibration_tokens(model::Runtime& fp32, const model::Tokenizer& tok, const CalibOptions& opt);

}  // namespace mxlab::algorithms
