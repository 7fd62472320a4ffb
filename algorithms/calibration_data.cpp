// Calibration token streams: text files or the model's own samples.
#include "algorithms/calibration_data.hpp"

#include <stdexcept>

#include "model/generate.hpp"
#include "model/text_corpus.hpp"

namespace mxlab::algorithms {

std::vector<int> calibration_tokens(model::Runtime& fp32, const model::Tokenizer& tok, const CalibOptions& opt) {
  if (opt.samples < 1 || opt.length < 2)
    throw std::invalid_argument("calibration needs at least 1 sample of at least 2 tokens");
  if (opt.length > fp32.config().seq_len)
    throw std::invalid_argument("calibration length " + std::to_string(opt.length) + " exceeds the model's seq_len " +
                                std::to_string(fp32.config().seq_len));
  const std::size_t want = static_cast<std::size_t>(opt.samples) * static_cast<std::size_t>(opt.length);
  std::vector<int> tokens;
  if (!opt.text.empty()) {
    tokens = model::load_eval_tokens(tok, opt.text);
    if (tokens.size() < want)
      throw std::invalid_argument(opt.text.string() + " has " + std::to_string(tokens.size()) +
                                  " tokens, calibration needs " + std::to_string(want) + " (lower --calib-samples)");
  } else {
    for (std::uint64_t i = 0; tokens.size() < want; ++i) {
      model::GenerateOptions g;
      g.steps = fp32.config().seq_len;
      g.temperature = 1.0f;
      g.seed = opt.seed + i + 1;  // xorshift state must be non-zero
      const auto sample = model::generate(fp32, std::vector<int>{model::kBos}, g);
      tokens.insert(tokens.end(), sample.begin(), sample.end());
    }
  }
  tokens.resize(want);
  return tokens;
}

}  // namespace mxlab::algorithms
