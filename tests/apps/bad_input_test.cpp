// Bad input through the mxlab CLI, every subcommand (issue 16): truncated, empty, wrong-magic, wrong-size and
// lying-header model files, NaN/Inf weights, bad tensors/specs/result files, unknown formats, out-of-range
// parameters, unreadable and unwritable paths. Each case must exit non-zero (no signal) with exactly one stderr line
// "mxlab: error: ..." naming the problem, and leave no output file (nor a temporary) behind. The CLI runs under a
// 4 GiB address-space limit, so a header that claims more than the file holds fails if it is allocated.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "tests/asan_env.hpp"

namespace mxlab {
namespace {
namespace fs = std::filesystem;

// What a lying header claims must not be allocated: the CLI runs with at most 4 GiB of address space. Under
// AddressSanitizer (which reserves terabytes of shadow address space, so `ulimit -v` stops it from starting) the
// same bound is ASan's largest allocation, and an allocation beyond it aborts the CLI with a report.
const std::string kMemoryBound =
    test::kUnderAsan ? test::asan_options_prefix("max_allocation_size_mb=4096") : "ulimit -v 4194304; ";

struct Case {
  std::string args;                       // after `mxlab`; "@" stands for the scratch directory
  std::string message;                    // a substring the error line must hold
  std::vector<std::string> outputs = {};  // paths (with "@") that must not exist afterwards
};

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write_all(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}
template <class T>
void put(std::string& bytes, std::size_t offset, T v) {
  ASSERT_LE(offset + sizeof v, bytes.size());
  std::memcpy(bytes.data() + offset, &v, sizeof v);
}

// A NumPy v1 file: `header_dict` verbatim, then `payload`.
std::string npy(const std::string& header_dict, const std::string& payload, const char* magic = "\x93NUMPY") {
  std::string h = header_dict;
  h.append(64 - (10 + h.size() + 1) % 64, ' ');
  h += '\n';
  std::string b(magic, 6);
  b += std::string("\x01\x00", 2);
  b += static_cast<char>(h.size() & 0xff);
  b += static_cast<char>(h.size() >> 8);
  return b + h + payload;
}

// safetensors: 8-byte little-endian header length, JSON header, data.
std::string safetensors(std::uint64_t header_len, const std::string& header, const std::string& data) {
  std::string b(8, '\0');
  put(b, 0, header_len);
  return b + header + data;
}

class BadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("mxlab_bad_input_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const fs::path data(MXLAB_DATA_DIR);
    const std::string model = read_all(data / "models/stories260K.bin"), tok = read_all(data / "models/tok512.bin");
    ASSERT_EQ(model.size(), 1056540u);
    const auto d = [](const char* name) { return dir_ / name; };
    // llama2.c models: header = 7 int32 (dim hidden layers heads kv_heads vocab seq_len), then FP32 weights.
    write_all(d("m_empty.bin"), "");
    write_all(d("m_header.bin"), model.substr(0, 20));  // shorter than the header
    write_all(d("m_trunc.bin"), model.substr(0, model.size() / 2));
    std::string m = model;
    put(m, 0, std::uint32_t{0x616b3432}), put(m, 4, std::int32_t{7});  // llama2.c v1+ magic "ak42", version 7
    write_all(d("m_version.bin"), m);
    write_all(d("m_gguf.bin"), "GGUF" + model.substr(4));  // another format's magic where dim belongs
    write_all(d("m_long.bin"), model + std::string(12, '\0'));
    m = model, put(m, 0, std::int32_t{1 << 20});  // dim 2^20: the header claims 66 TB
    write_all(d("m_lying_dim.bin"), m);
    m = model, put(m, 20, std::int32_t{1 << 26});  // vocab 2^26: 17 GB of embedding
    write_all(d("m_lying_vocab.bin"), m);
    m = model, put(m, 8, std::int32_t{-5});  // negative layer count
    write_all(d("m_neg.bin"), m);
    m = model, put(m, 28 + 4 * 100, std::numeric_limits<float>::quiet_NaN());  // in the token embedding
    write_all(d("m_nan.bin"), m);
    m = model, put(m, 28 + 4 * 200000, -std::numeric_limits<float>::infinity());
    write_all(d("m_inf.bin"), m);
    // Hugging Face directories.
    const std::string config =
        R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,)"
        R"( "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 512, "max_position_embeddings": 512,)"
        R"( "rms_norm_eps": 1e-05, "tie_word_embeddings": true})";
    for (const char* h : {"hf_huge", "hf_hlen", "hf_json", "hf_noconfig"}) fs::create_directories(d(h));
    write_all(d("hf_huge/config.json"), config);  // a tensor of 2^40 x 2^20 values in 16 bytes of data
    const std::string huge = R"({"model.embed_tokens.weight": {"dtype": "F32", "shape": [1099511627776, 1048576],)"
                             R"( "data_offsets": [0, 16]}})";
    write_all(d("hf_huge/model.safetensors"), safetensors(huge.size(), huge, std::string(16, '\0')));
    write_all(d("hf_hlen/config.json"), config);  // header length 2^40 in a 30-byte file
    write_all(d("hf_hlen/model.safetensors"), safetensors(1ull << 40, "{}", std::string(20, '\0')));
    write_all(d("hf_json/config.json"), "{\"hidden_size\": 64,");
    write_all(d("hf_noconfig/model.safetensors"), safetensors(2, "{}", ""));
    // Tokenizers, texts.
    write_all(d("t_empty.bin"), "");
    write_all(d("t_trunc.bin"), tok.substr(0, 3000));
    write_all(d("text_empty.txt"), "");
    fs::create_directories(d("a_dir"));
    write_all(d("a_file"), "not a directory\n");
    // Tensors (.npy / raw .f32).
    const std::string floats(400, '\0');
    write_all(d("x.f32"), floats);
    write_all(d("odd.f32"), "abcde");
    write_all(d("empty.f32"), "");
    write_all(d("n_trunc.npy"),
              npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }", floats.substr(0, 40)));
    write_all(d("n_lying.npy"), npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4), }", floats));
    write_all(d("n_neg.npy"), npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", floats));
    write_all(d("n_magic.npy"),
              npy("{'descr': '<f4', 'fortran_order': False, 'shape': (100,), }", floats, "\x93NUMPZ"));
    write_all(d("n_f64.npy"), npy("{'descr': '<f8', 'fortran_order': False, 'shape': (50,), }", floats));
    write_all(d("n_fortran.npy"), npy("{'descr': '<f4', 'fortran_order': True, 'shape': (10, 10), }", floats));
    write_all(d("n_noshape.npy"), npy("{'descr': '<f4', 'fortran_order': False, }", floats));
    write_all(d("n_empty.npy"), "");
    // Sweep specs, result files, architecture files.
    const std::string grid = "[grid]\nweights = [\"mxint8\"]\npipeline = [\"rtn\"]\n";
    write_all(d("s_empty.toml"), "");
    write_all(d("s_syntax.toml"), "[model\nmodel = ");
    write_all(d("s_format.toml"), "[grid]\nweights = [\"mxfp5\"]\npipeline = [\"rtn\"]\n");
    write_all(d("s_algo.toml"), "[grid]\nweights = [\"mxint8\"]\npipeline = [\"omniquant\"]\n");
    write_all(d("s_samples.toml"), "[calibration]\nsamples = -4\n" + grid);
    write_all(d("s_model.toml"), "[model]\nmodel = \"" + d("m_trunc.bin").string() + "\"\n" + grid);
    write_all(d("r_empty.h5"), "");
    write_all(d("r_garbage.h5"), model.substr(0, 4096));
    write_all(d("r_fake.h5"), "\x89HDF\r\n\x1a\n" + std::string(100, '\xff'));  // HDF5 signature, garbage after it
    write_all(d("arch_syntax.toml"), "[pe\nrows = ");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // Runs every case and prints how many.
  static void expect_all_fail(const std::vector<Case>& cases) {
    const std::string at = dir_.string(), err = (dir_ / "stderr.txt").string();
    for (const Case& c : cases) {
      const std::string args = replace_all(c.args, "@", at);
      SCOPED_TRACE("mxlab " + args);
      // exec: the shell becomes mxlab, so a signal that kills it shows in the status
      const std::string cmd =
          kMemoryBound + "exec " + std::string(MXLAB_CLI) + " " + args + " 2>" + err + " >/dev/null";
      const int status = std::system(cmd.c_str());
      const std::string text = read_all(err);
      fs::remove(err);
      ASSERT_FALSE(WIFSIGNALED(status)) << "killed by signal " << WTERMSIG(status) << ": " << text;
      EXPECT_NE(WEXITSTATUS(status), 0) << text;
      EXPECT_EQ(text.rfind("mxlab: error: ", 0), 0u) << text;
      EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;  // one line
      EXPECT_NE(text.find(replace_all(c.message, "@", at)), std::string::npos)
          << "want '" << c.message << "' in: " << text;
      for (const std::string& o : c.outputs) {
        EXPECT_FALSE(fs::exists(replace_all(o, "@", at))) << o;
        fs::remove_all(replace_all(o, "@", at));  // so that one failure does not spill into the next case
      }
      for (const auto& e : fs::recursive_directory_iterator(dir_)) {  // no temporaries, no probes
        const std::string name = e.path().filename().string();
        EXPECT_TRUE(name.find(".tmp") == std::string::npos && name.find("mxlab_probe") == std::string::npos) << name;
      }
    }
    std::cout << "[ bad inputs ] " << cases.size() << " cases\n";
  }
  static fs::path dir_;
};
fs::path BadInput::dir_;

const std::string kData = " --data-dir " MXLAB_DATA_DIR;
const char* const kModels[][2] = {
    {"@/m_empty.bin", "needs 4 bytes at offset 0 but the file has 0"},
    {"@/m_header.bin", "truncated or corrupt: reading the 7-int header"},
    {"@/m_trunc.bin", "implies 1056540 bytes but the file has 528270"},
    {"@/m_version.bin", "unsupported llama2.c checkpoint version 7"},
    {"@/m_gguf.bin", "@/m_gguf.bin"},
    {"@/m_long.bin", "implies 1056540 bytes but the file has 1056552"},
    {"@/m_lying_dim.bin", "implies 65983981027356 bytes but the file has 1056540"},
    {"@/m_lying_vocab.bin", "implausibly large dimensions"},
    {"@/m_neg.bin", "n_layers=-5"},
    {"@/m_nan.bin", "tensor token_embedding holds NaN or Inf values"},
    {"@/m_inf.bin", "holds NaN or Inf values"},
    {"@/hf_huge", "shape holds more values than the file has bytes"},
    {"@/hf_hlen", "bad header length 1099511627776"},
    {"@/hf_json", "config.json: not valid JSON"},
    {"@/hf_noconfig", "config.json"},
    {"@/missing.bin", "no such file"},
};

TEST_F(BadInput, Formats) {
  expect_all_fail({{"formats --bogus", "--bogus"},
                   {"formats extra", "extra"},
                   {"nosuchcommand", "subcommand"},
                   {"", "A subcommand is required"}});
}

TEST_F(BadInput, Quantize) {
  const std::string out = " --out @/y.f32";
  const std::vector<std::string> outs = {"@/y.f32", "@/y.npy", "@/p.mxlp"};
  std::vector<Case> cases = {
      {"quantize --format mxfp5 --in @/x.f32" + out, "unknown format 'mxfp5'"},
      {"quantize --format '' --in @/x.f32" + out, "unknown format ''"},
      {"quantize --format mxint8 --round up --in @/x.f32" + out, "unknown rounding mode 'up'"},
      {"quantize --format mxint8 --block -3 --in @/x.f32" + out, "bad block size '-3'"},
      {"quantize --format mxint8 --block 99999999999 --in @/x.f32" + out, "bad block size"},
      {"quantize --format mxint8 --seed -1 --in @/x.f32" + out, "--seed: must not be negative (got -1)"},
      {"quantize --format mxint8 --tensor-scale --in @/x.f32" + out, "nvfp4 only"},
      {"quantize --format mxint8 --in @/odd.f32" + out, "not a multiple of 4"},
      {"quantize --format mxint8 --in @/empty.f32" + out, "the tensor is empty"},
      {"quantize --format mxint8 --in @/missing.f32" + out, "missing.f32"},
      {"quantize --format mxint8 --in @/a_dir" + out, "directory"},
      {"quantize --format mxint8 --in @/n_trunc.npy --out @/y.npy", "npy shape (100,) is larger than the file"},
      {"quantize --format mxint8 --in @/n_lying.npy --out @/y.npy", "is larger than the file"},
      {"quantize --format mxint8 --in @/n_neg.npy --out @/y.npy", "negative dimension"},
      {"quantize --format mxint8 --in @/n_magic.npy --out @/y.npy", "bad magic"},
      {"quantize --format mxint8 --in @/n_f64.npy --out @/y.npy", "npy dtype <f8"},
      {"quantize --format mxint8 --in @/n_fortran.npy --out @/y.npy", "Fortran-order"},
      {"quantize --format mxint8 --in @/n_noshape.npy --out @/y.npy", "no shape"},
      {"quantize --format mxint8 --in @/n_empty.npy --out @/y.npy", "bad magic"},
      {"quantize --format mxint8 --in @/x.f32 --out @/no/dir/y.f32", "cannot open for writing"},
      {"quantize --format mxint8 --in @/x.f32 --out @/a_file/y.f32", "cannot open for writing"},
      {"quantize --format mxint8 --in @/x.f32 --out /proc/mxlab_y.f32", "cannot open for writing"},
      {"quantize --format mxint8 --in @/x.f32 --out @/a_dir", "cannot"},
      {"quantize --format mxint8 --in @/x.f32" + out + " --packed @/no/p.mxlp", "cannot open for writing"},
      {"quantize --format mxint8 --in @/x.f32 --out @/x.f32", "must name different files"},
      {"quantize --in @/x.f32" + out, "--format is required"},
  };
  for (Case& c : cases) c.outputs = outs;
  expect_all_fail(cases);
  EXPECT_EQ(fs::file_size(dir_ / "x.f32"), 400u);  // the input was never overwritten
}

TEST_F(BadInput, TokenizeAndGenerate) {
  std::vector<Case> cases = {
      {"tokenize --tokenizer @/t_empty.bin --string hi", "reading max_token_length needs 4 bytes"},
      {"tokenize --tokenizer @/t_trunc.bin --string hi", "t_trunc.bin: truncated or corrupt"},
      {"tokenize --tokenizer " MXLAB_DATA_DIR "/models/stories260K.bin --string hi", "corrupt tokenizer file"},
      {"tokenize --text @/missing.txt" + kData, "cannot open text file"},
      {"generate --top-p 2" + kData, "top-p must be in (0, 1]"},
      {"generate --top-p 0" + kData, "top-p must be in (0, 1]"},
      {"generate --top-p nan" + kData, "top-p"},
      {"generate --temperature -1" + kData, "temperature must be >= 0"},
      {"generate --steps -5" + kData, "steps must be >= 0"},
      {"generate --steps 2 --prompt 'Once upon a time'" + kData, "leaves no room within 2 steps"},
      {"generate --temperature 1 --seed 0" + kData, "seed must be non-zero"},
      {"generate --steps many" + kData, "--steps"},
      {"generate --stream maybe" + kData, "--stream maybe: expected on, off or auto"},
      {"generate --stream on" + kData, "streaming needs a Hugging Face safetensors checkpoint"},
      {"generate --tokenizer " MXLAB_DATA_DIR "/models/tokenizer.bin" + kData, "tokenizer has 32000 tokens"},
      {"generate --tokenizer @/t_trunc.bin" + kData, "truncated or corrupt"},
  };
  for (const auto& [model, message] : kModels)
    cases.push_back({std::string("generate --model ") + model + kData, message});
  expect_all_fail(cases);
}

TEST_F(BadInput, Eval) {
  const std::string e = "eval --quiet --max-tokens 600" + kData;
  std::vector<Case> cases = {
      {e + " --weights mxfp5", "unknown format 'mxfp5'"},
      {e + " --acts mxint9", "unknown format 'mxint9'"},
      {e + " --outputs nvfp3", "unknown format 'nvfp3'"},
      {e + " --kv-cache e9m9", "unknown format 'e9m9'"},
      {e + " --round up --weights mxint8", "unknown rounding mode 'up'"},
      {e + " --block -1 --weights mxint8", "bad block size '-1'"},
      {e + " --ctx -3", "ctx must be >= 2"},
      {e + " --ctx 100000", "fewer than one window of ctx=100000"},
      {"eval --quiet --max-tokens 1" + kData, "fewer than one window"},
      {"eval --quiet --max-tokens -1" + kData, "--max-tokens: must not be negative"},
      {e + " --weights mxint8 --round stochastic --round-seed -2", "--round-seed: must not be negative"},
      {e + " --stream maybe", "--stream maybe: expected on, off or auto"},
      {e + " --stream on", "streaming needs a Hugging Face safetensors checkpoint"},
      {e + " --weights mxint4 --gemm exact", "--gemm exact needs both a weight format"},
      {e + " --weights mxint8 --acts mxint8 --gemm exact --acc fp7", "unknown accumulator format 'fp7'"},
      {e + " --weights mxint8 --gemm fast", "unknown GEMM mode 'fast'"},
      {e + " --reference @/m_trunc.bin", "implies 1056540 bytes"},
      {e + " --reference @/m_nan.bin", "holds NaN or Inf values"},
      {e + " --text @/missing.txt", "cannot open text file"},
      {e + " --text @/text_empty.txt", "no text to evaluate"},
      {e + " --text @/a_dir", "a_dir"},
      {e + " --tokenizer @/t_empty.bin", "t_empty.bin"},
      {e + " --tokenizer " MXLAB_DATA_DIR "/models/tokenizer.bin", "tokenizer has 32000 tokens but the model 512"},
  };
  for (const auto& [model, message] : kModels) cases.push_back({e + " --model " + model, message});
  expect_all_fail(cases);
}

TEST_F(BadInput, Ptq) {
  const std::string p = "ptq --eval-tokens 512" + kData, calib = " --calib-samples 1 --calib-len 32";
  const std::string w = p + calib + " --algo rtn --weights mxint4";
  const std::vector<std::string> outs = {"@/q.safetensors", "@/config.json", "@/qdir"};
  std::vector<Case> cases = {
      {p + calib + " --algo rtn --weights mxfp5", "unknown format 'mxfp5'"},
      {w + " --acts int9", "unknown format 'int9'"},
      {p + calib + " --algo omniquant --weights mxint4", "unknown PTQ algorithm 'omniquant'"},
      {p + calib + " --algo smoothquant:alpha=7 --weights mxint4", "alpha=7 is not a number in [0, 1]"},
      {p + " --algo rtn --weights mxint4 --calib-samples 0", "calibration needs at least 1 sample"},
      {p + " --algo rtn --weights mxint4 --calib-samples -1", "calibration needs at least 1 sample"},
      {p + " --algo rtn --weights mxint4 --calib-len -1", "calibration needs at least 1 sample"},
      {p + " --algo rtn --weights mxint4 --calib-len 100000",
       "calibration length 100000 exceeds the model's seq_len 512"},
      {p + calib + " --algo rtn --weights mxint4 --round-seed -5", "--round-seed: must not be negative"},
      {p + calib + " --algo rtn --weights mxint4 --seed -5", "--seed: must not be negative"},
      {w + " --calib @/missing.txt", "missing.txt"},
      {w + " --calib @/text_empty.txt", "text_empty.txt"},
      {p + calib + " --algo lsaq+gptq --weights mxint4 --budget abc", "budget 'abc' is not"},
      {w + " --dequantized f32", "--dequantized needs --out"},
      {w + " --dequantized f8 --out @/q.safetensors", "f8"},
      {w + " --out @/a_file/q.safetensors", "cannot write there"},
      {w + " --out /proc/q.safetensors", "cannot write there"},
      {w + " --tokenizer @/t_trunc.bin --out @/qdir", "truncated or corrupt"},
      {w + " --model @/m_trunc.bin --out @/q.safetensors", "implies 1056540 bytes"},
      {w + " --model @/m_lying_dim.bin --out @/q.safetensors", "implies 65983981027356 bytes"},
      {w + " --model @/m_nan.bin --out @/q.safetensors", "holds NaN or Inf values"},
      {w + " --model @/hf_huge --out @/qdir", "shape holds more values than the file has bytes"},
  };
  for (Case& c : cases) c.outputs = outs;
  expect_all_fail(cases);
}

TEST_F(BadInput, SweepAndPtqTable) {
  const std::vector<std::string> outs = {"@/r.h5"};
  std::vector<Case> cases = {
      {"sweep @/missing.toml --out @/r.h5", "cannot read the sweep spec"},
      {"sweep @/a_dir --out @/r.h5", "a_dir"},
      {"sweep @/s_empty.toml --out @/r.h5", "the spec has no points"},
      {"sweep @/s_syntax.toml --out @/r.h5", "s_syntax.toml:1:7"},
      {"sweep @/s_format.toml --out @/r.h5", "unknown format 'mxfp5'"},
      {"sweep @/s_algo.toml --out @/r.h5", "omniquant"},
      {"sweep @/s_samples.toml --out @/r.h5", "calibration.samples: must be >= 1 (got -4)"},
      {"sweep @/s_model.toml --out @/r.h5", "implies 1056540 bytes"},
      {"sweep @/s_model.toml --jobs 0 --out @/r.h5", "--jobs must be at least 1 (got 0)"},
      {"sweep @/s_model.toml --out @/no/dir/r.h5", "does not exist"},
      {"sweep @/s_model.toml --out @/a_file/r.h5", "a_file"},
      {"sweep", "spec is required"},
      {"ptq-table --spec @/missing.toml --results @/r.h5", "cannot read the sweep spec"},
      {"ptq-table --spec @/s_syntax.toml --results @/r.h5", "s_syntax.toml:1:7"},
      {"ptq-table --spec @/s_model.toml --results @/r.h5 --jobs -1", "--jobs must be at least 1"},
      {"ptq-table --spec @/s_model.toml --results @/no/dir/r.h5", "does not exist"},
  };
  for (Case& c : cases) c.outputs = outs;
  expect_all_fail(cases);
  // A sweep keeps its point directory for a resume; after a failure it holds no point file (only its lock).
  ASSERT_TRUE(fs::exists(dir_ / "r.h5.d"));
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "r.h5.d"))
    EXPECT_EQ(e.path().filename(), ".lock") << e.path();
}

TEST_F(BadInput, Report) {
  const std::vector<std::string> outs = {"@/rep"};
  std::vector<Case> cases = {
      {"report @/missing.h5 --out @/rep", "no such file"},
      {"report @/r_empty.h5 --out @/rep", "not a readable mxlab result file"},
      {"report @/r_garbage.h5 --out @/rep", "not a readable mxlab result file"},
      {"report @/r_fake.h5 --out @/rep", "not a readable mxlab result file"},
      {"report @/m_trunc.bin --out @/rep", "not a readable mxlab result file"},
      {"report @/a_dir --out @/rep", "a_dir"},
      {"report @/r_empty.h5 @/missing.h5 --out @/rep", "h5"},
      {"report @/a.h5 @/b.h5 @/c.h5", "At Most 2 required but received 3"},
      {"report @/r_fake.h5 --plots maybe --out @/rep", "--plots: maybe not in {auto,on,off}"},
  };
  for (Case& c : cases) c.outputs = outs;
  expect_all_fail(cases);
}

TEST_F(BadInput, Cost) {
  expect_all_fail({
      {"cost --units nosuch --operands random", "unknown RTL unit 'nosuch'"},
      {"cost --formats mxfp5 --operands random", "unknown format 'mxfp5'"},
      {"cost --depth 9 --operands random", "--depth must be 1..4"},
      {"cost --clock-ns 0 --operands random", "--clock-ns must be positive"},
      {"cost --clock-ns -1 --operands random", "--clock-ns must be positive"},
      {"cost --clock-ns fast --operands random", "--clock-ns"},
      {"cost --vectors 0", "--vectors must be at least 1"},
      {"cost --operands x", "--operands must be model, random or both (got 'x')"},
      {"cost --liberty @/missing.lib --operands random", "no such file"},
  });
}

TEST_F(BadInput, Sim) {
  expect_all_fail({
      {"sim", "give --model PATH or --shape NAME"},
      {"sim --shape nosuch", "unknown model shape 'nosuch'"},
      {"sim --shape 260k --model @/m_neg.bin", "excludes"},
      {"sim --shape 260k --arch nosuch", "no shipped architecture of that name"},
      {"sim --shape 260k --arch @/arch_syntax.toml", "arch_syntax.toml:1"},
      {"sim --shape 260k --arch @/missing.toml", "no file"},
      {"sim --shape 260k --weights mxfp5", "unknown format 'mxfp5'"},
      {"sim --shape 260k --acts mxfp5", "unknown format 'mxfp5'"},
      {"sim --shape 260k --acc fp7", "unknown accumulator format 'fp7'"},
      {"sim --shape 260k --phase both", "unknown phase 'both'"},
      {"sim --shape 260k --seq 0", "seq and batch must be >= 1"},
      {"sim --shape 260k --seq -5", "seq and batch must be >= 1"},
      {"sim --shape 260k --batch 0", "seq and batch must be >= 1"},
      {"sim --model @/m_empty.bin", "shorter than a llama2.c header"},
      {"sim --model @/m_neg.bin", "layers -5"},
      {"sim --model @/m_gguf.bin", "not a Llama shape"},
      {"sim --model @/m_lying_dim.bin", "does not fit the SRAM buffers"},
      {"sim --model @/hf_json", "parse error"},
      {"sim --model @/missing.bin", "cannot open"},
  });
}

TEST_F(BadInput, SynthModel) {
  const std::string s = "synth-model --quiet --shape 64,172,5,8,4,512";
  std::vector<Case> cases = {
      {"synth-model --shape nosuch --out @/sm", "--shape nosuch: expected"},
      {"synth-model --shape 64,172 --out @/sm", "--shape 64,172"},
      {"synth-model --shape 64,172,-5,8,4,512 --out @/sm", "n_layers=-5"},
      {"synth-model --shape 64,172,5,8,3,512 --out @/sm", "not a multiple of n_kv_heads=3"},
      {"synth-model --shape 100000,100000,100000,8,4,512 --out @/sm", "implausibly large"},
      {s + " --dtype f8 --out @/sm", "--dtype f8: expected bf16, f16 or f32"},
      {s + " --seed -3 --out @/sm", "--seed: must not be negative (got -3)"},
      {s + " --out @/a_file/sm", "a_file"},
      {s + " --out @/hf_json", "is not an empty directory"},
      {s, "--out is required"},
  };
  for (Case& c : cases) c.outputs = {"@/sm"};
  expect_all_fail(cases);
}

// NaN/Inf in a tensor for `quantize` are not an error: the formats define them (an MX block holding one is NaN);
// the run says how many values were left out of the SQNR instead of printing a meaningless number.
TEST_F(BadInput, QuantizeNonFiniteFollowsTheSpecAndSaysSo) {
  std::string b(400, '\0');
  put(b, 8, std::numeric_limits<float>::quiet_NaN());
  put(b, 200, std::numeric_limits<float>::infinity());
  write_all(dir_ / "nan.f32", b);
  const std::string err = (dir_ / "err.txt").string();
  const std::string cmd = std::string(MXLAB_CLI) + " quantize --format mxint8 --in " + (dir_ / "nan.f32").string() +
                          " --out " + (dir_ / "nan_q.f32").string() + " 2>" + err;
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string text = read_all(err);
  EXPECT_NE(text.find("(64 non-finite in or out: NaN/Inf blocks)"), std::string::npos) << text;  // two blocks of 32
  const std::string y = read_all(dir_ / "nan_q.f32");
  ASSERT_EQ(y.size(), 400u);
  float v[100];
  std::memcpy(v, y.data(), 400);
  for (int i = 0; i < 64; ++i) EXPECT_TRUE(std::isnan(v[i])) << i;
  for (int i = 64; i < 100; ++i) EXPECT_EQ(v[i], 0.0f) << i;
}

}  // namespace
}  // namespace mxlab
