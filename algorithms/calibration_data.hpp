// Calibration token streams for PTQ: random windows of a text file, or samples the FP32 model writes itself
// (data-free), and the check that calibration and evaluation do not share text.
#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "model/runtime.hpp"
#include "model/tokenizer.hpp"

namespace mxlab::algorithms {

// Defaults after GPTQ and AWQ (128 windows of 2048 tokens), with the window as long as the evaluation context:
// the model's seq_len, so every position the evaluation scores is also calibrated.
struct CalibOptions {
  std::filesystem::path text;  // empty = self-generated samples
  int samples = 128;           // windows of calibration data
  int length = 0;              // tokens per window; 0 = the model's seq_len (the evaluation context)
  std::uint64_t seed = 1234;   // window offsets in the text, or the sampling seed of generated samples
};

struct CalibWindows {
  std::vector<int> tokens;            // samples windows of `length` tokens, concatenated
  int length = 0;
  std::vector<std::size_t> offsets;   // text only: each window's first token in the text's token stream
};

// `samples` window starts drawn uniformly from [0, n_tokens - length] by a splitmix64 stream seeded with `seed`
// (as GPTQ's get_wikitext2: random windows of the tokenized text, which may overlap one another). The same
// seed gives the same offsets on every platform. Throws if the text is shorter than one window.
std::vector<std::size_t> window_offsets(std::size_t n_tokens, int length, int samples, std::uint64_t seed);

// From the text (tokenized as for evaluation): random windows at window_offsets. Without a text: stories the
// FP32 model generates (temperature 1, from BOS, each BOS-first, seeds seed+1, seed+2, ..) concatenated until
// samples * length tokens, cut into windows. Throws std::invalid_argument on bad sizes or a text shorter than
// one window.
CalibWindows calibration_windows(model::Runtime& fp32, const model::Tokenizer& tok, const CalibOptions& opt);

// FNV-1a of a text file as evaluation reads it (CRLF normalized to LF): equal content, equal hash.
std::uint64_t text_hash(const std::filesystem::path& file);

// Tokens a calibration window must repeat verbatim from an evaluated stream to count as overlapping it
// (shorter windows: their whole length). Unrelated text of this corpus shares no such run (tested).
constexpr int kOverlapRun = 64;

// The first window of `windows` (consecutive windows of `length` tokens) that contains a run of
// min(kOverlapRun, length) consecutive tokens also found in `eval`; -1 when none does.
std::ptrdiff_t first_overlapping_window(std::span<const int> windows, int length, std::span<const int> eval);

}  // namespace mxlab::algorithms
