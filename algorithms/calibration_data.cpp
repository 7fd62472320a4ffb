// Calibration token streams (random text windows or generated samples) and the calibration/evaluation overlap check.
#include "algorithms/calibration_data.hpp"

#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "algorithms/parallel.hpp"
#include "model/generate.hpp"
#include "model/progress.hpp"
#include "model/text_corpus.hpp"

namespace mxlab::algorithms {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Polynomial hashes (mod 2^64) of every run of n consecutive tokens of s, in order of their first token.
std::vector<std::uint64_t> run_hashes(std::span<const int> s, std::size_t n) {
  constexpr std::uint64_t kBase = 0x100000001B3ull;
  std::vector<std::uint64_t> out;
  if (s.size() < n) return out;
  std::uint64_t h = 0, top = 1;  // top = kBase^(n-1)
  for (std::size_t i = 1; i < n; ++i) top *= kBase;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i >= n) h -= top * static_cast<std::uint32_t>(s[i - n]);
    h = h * kBase + static_cast<std::uint32_t>(s[i]);
    if (i + 1 >= n) out.push_back(h);
  }
  return out;
}

}  // namespace

std::vector<std::size_t> window_offsets(std::size_t n_tokens, int length, int samples, std::uint64_t seed) {
  if (length < 1 || n_tokens < static_cast<std::size_t>(length))
    throw std::invalid_argument("the calibration text has " + std::to_string(n_tokens) +
                                " tokens, fewer than one window of " + std::to_string(length) + " (lower --calib-len)");
  const std::uint64_t choices = n_tokens - static_cast<std::size_t>(length) + 1;
  std::vector<std::size_t> offsets(static_cast<std::size_t>(std::max(samples, 0)));
  std::uint64_t state = seed;
  for (auto& o : offsets) o = static_cast<std::size_t>(splitmix64(state) % choices);  // bias < choices / 2^64
  return offsets;
}

CalibWindows calibration_windows(model::Runtime& fp32, const model::Tokenizer& tok, const CalibOptions& opt) {
  const int seq_len = fp32.config().seq_len;
  CalibWindows w;
  w.length = opt.length == 0 ? seq_len : opt.length;
  if (opt.samples < 1 || w.length < 2)
    throw std::invalid_argument("calibration needs at least 1 sample of at least 2 tokens");
  if (w.length > seq_len)
    throw std::invalid_argument("calibration length " + std::to_string(w.length) + " exceeds the model's seq_len " +
                                std::to_string(seq_len));
  const std::size_t want = static_cast<std::size_t>(opt.samples) * static_cast<std::size_t>(w.length);
  if (!opt.text.empty()) {
    const std::vector<int> text = model::load_eval_tokens(tok, opt.text);
    try {
      w.offsets = window_offsets(text.size(), w.length, opt.samples, opt.seed);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(opt.text.string() + ": " + e.what());
    }
    w.tokens.reserve(want);
    for (std::size_t o : w.offsets) w.tokens.insert(w.tokens.end(), text.begin() + o, text.begin() + o + w.length);
    return w;
  }
  // Sample i depends only on its seed (the FP32 runtime has no stochastic hooks): rounds of one sample per
  // thread, generated in parallel and appended in seed order until enough; the surplus of the last round is cut.
  const std::size_t round = static_cast<std::size_t>(std::max(1, omp_get_max_threads()));
  std::vector<std::vector<int>> samples(round);
  model::Progress bar("calibration samples", static_cast<std::size_t>(opt.samples));
  for (std::uint64_t first = 0; w.tokens.size() < want; first += round) {
    parallel_items(0, round, [&](std::size_t i) {
      model::Runtime rt = fp32;  // a runtime per sample (KV-cached decoding, serial inside)
      model::GenerateOptions g;
      g.steps = seq_len;
      g.temperature = 1.0f;
      g.seed = opt.seed + first + i + 1;  // xorshift state must be non-zero
      samples[i] = model::generate(rt, std::vector<int>{model::kBos}, g);
    });
    for (const auto& sample : samples)
      if (w.tokens.size() < want) w.tokens.insert(w.tokens.end(), sample.begin(), sample.end());
    bar.set(w.tokens.size() / static_cast<std::size_t>(w.length));
  }
  w.tokens.resize(want);
  return w;
}

std::uint64_t text_hash(const std::filesystem::path& file) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const char c : model::read_text_file(file)) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  return h;
}

std::ptrdiff_t first_overlapping_window(std::span<const int> windows, int length, std::span<const int> eval) {
  if (length < 1) throw std::invalid_argument("first_overlapping_window: window length must be >= 1");
  const std::size_t n = static_cast<std::size_t>(std::min(kOverlapRun, length));
  std::unordered_multimap<std::uint64_t, std::size_t> seen;  // run hash -> its first token in `eval`
  const std::vector<std::uint64_t> eval_runs = run_hashes(eval, n);
  seen.reserve(eval_runs.size());
  for (std::size_t i = 0; i < eval_runs.size(); ++i) seen.emplace(eval_runs[i], i);
  for (std::size_t w0 = 0; w0 + static_cast<std::size_t>(length) <= windows.size(); w0 += static_cast<std::size_t>(length)) {
    const std::span<const int> window = windows.subspan(w0, static_cast<std::size_t>(length));
    const std::vector<std::uint64_t> runs = run_hashes(window, n);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto [lo, hi] = seen.equal_range(runs[i]);
      for (auto it = lo; it != hi; ++it)  // confirm token by token: a hash collision is not an overlap
        if (std::equal(window.begin() + i, window.begin() + i + n, eval.begin() + it->second))
          return static_cast<std::ptrdiff_t>(w0 / static_cast<std::size_t>(length));
    }
  }
  return -1;
}

}  // namespace mxlab::algorithms
