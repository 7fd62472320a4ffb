// Calibration data: seeded random windows of a text, as long as the evaluation context, and the refusal of
// calibration text that overlaps an evaluation text (by content hash and by shared token runs).
#include <gtest/gtest.h>
#include <omp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "algorithms/calibration_data.hpp"
#include "algorithms/ptq_run.hpp"
#include "model/eval.hpp"
#include "model/generate.hpp"
#include "model/load_model.hpp"
#include "model/text_corpus.hpp"

namespace mxlab::algorithms {
namespace {
namespace fs = std::filesystem;

fs::path data(const std::string& rel) { return fs::path(MXLAB_DATA_DIR) / rel; }

TEST(CalibrationWindows, OffsetsAreSeededReproducibleAndSpreadOverTheText) {
  const auto a = window_offsets(100000, 512, 128, 1234);
  EXPECT_EQ(a, window_offsets(100000, 512, 128, 1234));  // reproducible
  const auto b = window_offsets(100000, 512, 128, 1235);
  ASSERT_EQ(a.size(), 128u);
  EXPECT_NE(a, b);                                          // another seed, other windows
  std::size_t same = 0, high = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i], high += a[i] > 50000;
  EXPECT_LT(same, 3u);
  EXPECT_GT(high, 32u);  // not the text's first 128 x 512 = 65536 tokens
  for (std::size_t o : a) EXPECT_LE(o, 100000u - 512u);
  EXPECT_EQ(window_offsets(512, 512, 3, 9), (std::vector<std::size_t>{0, 0, 0}));  // the only window
  EXPECT_THROW(window_offsets(511, 512, 1, 9), std::invalid_argument);
}

TEST(CalibrationWindows, TextWindowsSpanTheWholeEvaluationContext) {
  auto fp32 = std::make_shared<const model::ModelWeights>(model::load_model(data("models/stories260K.bin")));
  const model::Tokenizer tok(data("models/tok512.bin"));
  model::Runtime fp(fp32);
  const fs::path text = data("text/wikitext2-valid.tokens");
  const CalibWindows w = calibration_windows(fp, tok, {text, 4, 0, 77});  // length 0: the evaluation context
  const std::vector<int> stream = model::load_eval_tokens(tok, text);
  ASSERT_EQ(w.length, fp32->config.seq_len);
  model::Runtime ref(fp32);
  EXPECT_EQ(model::evaluate(fp, std::span(w.tokens).first(w.length), {}, &ref).ctx, w.length);  // eval's default ctx
  ASSERT_EQ(w.tokens.size(), 4u * w.length);
  ASSERT_EQ(w.offsets, window_offsets(stream.size(), w.length, 4, 77));
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_TRUE(std::equal(w.tokens.begin() + i * w.length, w.tokens.begin() + (i + 1) * w.length,
                           stream.begin() + w.offsets[i])) << i;
  EXPECT_NE(calibration_windows(fp, tok, {text, 4, 0, 78}).tokens, w.tokens);
  // Self-generated samples (no text): windows of the same length, the first BOS-first.
  const CalibWindows g = calibration_windows(fp, tok, {{}, 2, 0, 5});
  EXPECT_EQ(g.length, fp32->config.seq_len);
  EXPECT_EQ(g.tokens.size(), 2u * g.length);
  EXPECT_EQ(g.tokens.front(), model::kBos);
  EXPECT_THROW(calibration_windows(fp, tok, {text, 1, fp32->config.seq_len + 1, 1}), std::invalid_argument);
}

// Self-generated samples come from parallel rounds of one sample per thread: the same tokens as generating
// them one after another (seeds seed+1, seed+2, ..) and cutting the concatenation, whatever the thread count.
TEST(CalibrationWindows, GeneratedSamplesEqualSequentialGeneration) {
  const auto fp32 = std::make_shared<const model::ModelWeights>(model::load_model(data("models/stories260K.bin")));
  const model::Tokenizer tok(data("models/tok512.bin"));
  model::Runtime fp(fp32);
  const int samples = 3, length = 100;
  std::vector<int> expected;
  for (std::uint64_t i = 0; expected.size() < static_cast<std::size_t>(samples * length); ++i) {
    model::GenerateOptions g;
    g.steps = fp32->config.seq_len;
    g.seed = 9 + i + 1;
    const std::vector<int> s = model::generate(fp, {model::kBos}, g);
    expected.insert(expected.end(), s.begin(), s.end());
  }
  expected.resize(static_cast<std::size_t>(samples * length));
  const int threads = omp_get_max_threads();
  for (int t : {1, 3}) {
    omp_set_num_threads(t);
    EXPECT_EQ(calibration_windows(fp, tok, {{}, samples, length, 9}).tokens, expected) << t << " threads";
  }
  omp_set_num_threads(threads);
}

TEST(CalibrationWindows, OverlapIsARunOfSharedTokens) {
  std::mt19937 rng(3);
  std::vector<int> eval(4096), windows(4 * 128);
  for (int& t : eval) t = static_cast<int>(rng() % 512);
  for (int& t : windows) t = static_cast<int>(rng() % 512);
  EXPECT_EQ(first_overlapping_window(windows, 128, eval), -1);
  std::copy_n(eval.begin() + 1000, kOverlapRun - 1, windows.begin() + 2 * 128 + 10);  // one token short
  EXPECT_EQ(first_overlapping_window(windows, 128, eval), -1);
  std::copy_n(eval.begin() + 1000, kOverlapRun, windows.begin() + 2 * 128 + 10);
  EXPECT_EQ(first_overlapping_window(windows, 128, eval), 2);
  std::copy_n(eval.begin() + 7, 32, windows.begin() + 32);  // windows of 32: a whole window repeated
  EXPECT_EQ(first_overlapping_window(std::span(windows).first(64), 32, eval), 1);
}

struct TempFile {
  fs::path path = fs::temp_directory_path() / ("mxlab_calib_" + std::to_string(::getpid()) + ".txt");
  explicit TempFile(const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
  ~TempFile() { fs::remove(path); }
};

PtqSessionOptions session_options(const fs::path& calib) {
  PtqSessionOptions o;
  o.model = data("models/stories260K.bin");
  o.tokenizer = data("models/tok512.bin");
  o.calib = {calib, 4, 0, 1234};
  for (const auto& [name, file] : kDefaultEvalTexts) o.eval_texts.emplace_back(name, data(file));
  return o;
}

std::string refusal(const PtqSessionOptions& o) {
  try {
    prepare_session(o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(CalibrationOverlap, RefusedByContentHashAndBySharedWindows) {
  const std::string stories = model::read_text_file(data("text/tinystories-valid-dev.txt"));
  // A copy under another name: the same content.
  const TempFile copy(stories);
  PtqSessionOptions o = session_options(copy.path);
  std::string err = refusal(o);
  EXPECT_NE(err.find("has the same content as the evaluation text 'tinystories'"), std::string::npos) << err;
  EXPECT_NE(err.find("--allow-overlap"), std::string::npos) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  // The first stories (evaluated: they lie in the first eval_tokens) without the rest: another hash, same windows.
  const TempFile part("A preface that is not in the evaluation text.\n<|endoftext|>\n" + stories.substr(0, 20000));
  o = session_options(part.path);
  err = refusal(o);
  EXPECT_NE(err.find("repeats 64 consecutive tokens of the evaluated 32768 tokens of 'tinystories'"), std::string::npos)
      << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  o.allow_overlap = true;
  EXPECT_EQ(refusal(o), "");
  // Disjoint text passes: WikiText-2 validation against TinyStories dev and WikiText-2 test.
  EXPECT_EQ(refusal(session_options(data("text/wikitext2-valid.tokens"))), "");
}

}  // namespace
}  // namespace mxlab::algorithms
