// The mxlab CLI end to end: output equals the library, bad input gives one stderr line, exit 1, no output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "formats/packed.hpp"

namespace mxlab {
namespace {
namespace fs = std::filesystem;

struct CliResult { int status; std::string err; };
CliResult run(const std::string& args) {
  const fs::path err = fs::temp_directory_path() / ("mxlab_cli_err_" + std::to_string(::getpid()));
  const int rc = std::system((std::string(MXLAB_CLI) + " " + args + " 2>" + err.string() + " >/dev/null").c_str());
  std::ifstream f(err);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  fs::remove(err);
  return {WEXITSTATUS(rc), text};
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("mxlab_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    x.resize(100);
    std::mt19937 rng(5);
    std::normal_distribution<float> g;
    for (auto& v : x) v = g(rng);
    std::ofstream(dir / "x.f32", std::ios::binary).write(reinterpret_cast<const char*>(x.data()), 400);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::vector<float> read(const fs::path& p, std::size_t skip = 0) {
    std::ifstream f(p, std::ios::binary);
    std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<float> v((b.size() - skip) / 4);
    std::memcpy(v.data(), b.data() + skip, v.size() * 4);
    return v;
  }
  std::string in() const { return (dir / "x.f32").string(); }
  fs::path dir;
  std::vector<float> x;
};

TEST_F(Cli, QuantizeWritesFakeQuantAndPackedEncoding) {
  for (const char* fmt : {"mxfp4_e2m1", "mxint8", "nvfp4", "int4_asym"}) {
    const auto out = dir / "y.f32", packed = dir / "y.mxlp";
    const CliResult r = run(std::string("quantize --format ") + fmt + " --round nearest --block 16 --in " + in() + " --out " +
                      out.string() + " --packed " + packed.string());
    ASSERT_EQ(r.status, 0) << r.err;
    std::vector<float> want(x.size());
    fake_quantize(find_format(fmt).id, x, want, {.round = Round::nearest, .block = 16});
    EXPECT_EQ(read(out), want) << fmt;
    std::ifstream f(packed, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(decode(deserialize(bytes)), want) << fmt;
  }
}

TEST_F(Cli, NpyInNpyOutKeepsTheShape) {
  // A 2x50 .npy written by hand (NumPy v1 header).
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 50), }";
  h.append(64 - (10 + h.size() + 1) % 64, ' ');
  h += '\n';
  std::ofstream f(dir / "x.npy", std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(h.size() & 0xff), static_cast<char>(h.size() >> 8)};
  f.write(len, 2);
  f.write(h.data(), static_cast<std::streamsize>(h.size()));
  f.write(reinterpret_cast<const char*>(x.data()), 400);
  f.close();
  const CliResult r = run("quantize --format mxint4 --in " + (dir / "x.npy").string() + " --out " + (dir / "y.npy").string());
  ASSERT_EQ(r.status, 0) << r.err;
  std::ifstream g(dir / "y.npy", std::ios::binary);
  std::string head(128, '\0');
  g.read(head.data(), 128);
  EXPECT_NE(head.find("'shape': (2, 50)"), std::string::npos);
  std::vector<float> want(x.size());
  fake_quantize(Format::mxint4, x, want);
  EXPECT_EQ(read(dir / "y.npy", 10 + h.size()), want);
}

TEST_F(Cli, BadInputGivesOneLineAndNoOutput) {
  std::ofstream(dir / "odd.f32", std::ios::binary).write("abcde", 5);
  const auto out = (dir / "y.f32").string();
  const std::pair<std::string, std::string> cases[] = {
      {"quantize --format mxfp5 --in " + in() + " --out " + out, "unknown format 'mxfp5'"},
      {"quantize --format mxint8 --in " + (dir / "odd.f32").string() + " --out " + out, "not a multiple of 4"},
      {"quantize --format mxint8 --block -3 --in " + in() + " --out " + out, "bad block size '-3'"},
      {"quantize --format mxint8 --block rows --in " + in() + " --out " + out, "bad block size 'rows'"},
      {"quantize --format mxint8 --round up --in " + in() + " --out " + out, "unknown rounding mode 'up'"},
      {"quantize --format mxint8 --tensor-scale --in " + in() + " --out " + out, "nvfp4 only"},
      {"quantize --format mxint8 --in " + in() + " --out " + (dir / "no/such/dir/y.f32").string(), "cannot open"},
      {"quantize --format mxint8 --in " + in() + " --out " + out + " --packed " + (dir / "no/dir/p.mxlp").string(),
       "cannot open"},  // a failing second output leaves the first unwritten too
      {"quantize --format mxint8 --in " + in() + " --out " + out + " --packed " + in(), "must name different files"},
  };
  for (const auto& [args, message] : cases) {
    const CliResult r = run(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(out)) << args;
  }
  EXPECT_NE(run("quantize --format mxint8 --in " + (dir / "missing.f32").string() + " --out " + out).status, 0);
  EXPECT_EQ(fs::file_size(in()), 400u);  // the input was never overwritten
  for (const auto& e : fs::directory_iterator(dir))  // no temporary files left behind
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

TEST_F(Cli, FormatsJsonListsEveryFormat) {
  const auto out = dir / "formats.json";
  ASSERT_EQ(std::system((std::string(MXLAB_CLI) + " formats --json > " + out.string()).c_str()), 0);
  std::ifstream f(out);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const auto& t : format_table()) EXPECT_NE(text.find(std::string("\"") + t.name + "\""), std::string::npos);
  EXPECT_NE(text.find("\"bits_per_weight\": 4.25"), std::string::npos);
}

}  // namespace
}  // namespace mxlab

namespace mxlab {
namespace {
TEST_F(Cli, PtqRunsEvaluatesAndSaves) {
  const auto out = dir / "q.safetensors", json = dir / "ptq.json";
  const std::string cmd = std::string(MXLAB_CLI) + " ptq --data-dir " + MXLAB_DATA_DIR +
                          " --algo awq+gptq --weights mxint4 --acts mxint8 --calib-samples 2 --calib-len 128"
                          " --eval-tokens 1024 --json --out " + out.string() + " > " + json.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream f(json);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const char* key : {"\"tinystories\"", "\"wikitext2\"", "\"kld_mean\"", "\"top1_agree\"", "\"fp32_ppl\"",
                          "\"algo\":\"awq+gptq\"", "\"gemm\":\"fakequant\"", "\"acc\":\"fp32\"", "\"layers\"",
                          "\"bits_per_weight\":4.257", "\"name\":\"layers.0.down\""})
    EXPECT_NE(text.find(key), std::string::npos) << key << " in " << text;
  EXPECT_TRUE(fs::exists(out));
  EXPECT_TRUE(fs::exists(dir / "config.json"));
}

TEST_F(Cli, PtqBadInputIsOneLine) {
  const std::string base = " --data-dir " + std::string(MXLAB_DATA_DIR) + " --calib-samples 1 --calib-len 32";
  const std::pair<std::string, std::string> cases[] = {
      {"ptq --algo gptq+awq --weights mxint4" + base, "nothing may follow the quantizer"},
      {"ptq --algo awq+smoothquant --weights mxint4" + base, "must come before"},
      {"ptq --algo omniquant --weights mxint4" + base, "unknown PTQ algorithm 'omniquant'"},
      {"ptq --algo rtn --weights mxfp5" + base, "unknown format 'mxfp5'"},
      {"ptq --algo rtn --weights mxint4 --calib " + (dir / "missing.txt").string() + base, "missing.txt"},
      {"ptq --algo rtn --weights mxint4 --out " + (dir / "x.f32" / "q.safetensors").string() + base, "cannot write there"},
      {"ptq --algo gptq:foo=1 --weights mxint4" + base, "gptq: unknown parameter 'foo' (known: act_order,"},
      {"ptq --algo smoothquant:alpha=1.5 --weights mxint4" + base, "smoothquant: alpha=1.5 is not a number in [0, 1]"},
      {"ptq --algo rtn --weights mxint4 --gemm exact" + base, "--gemm exact needs both a weight format"},
      {"ptq --algo rtn --weights mxint4 --acts mxint8 --gemm fast" + base, "unknown GEMM mode 'fast'"},
      {"ptq --algo rtn --weights mxint4 --acts mxint8 --gemm exact --acc fp8" + base, "unknown accumulator format 'fp8'"},
      {"ptq --algo awq:grid=0 --weights mxint4" + base, "awq: grid=0 is not an integer"},
      {"ptq --algo rtn --weights mxint4 --block per-row" + base, "bad block size 'per-row'"},
  };
  for (const auto& [args, message] : cases) {
    const CliResult r = run(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST_F(Cli, PtqRemovedFlagsAreRejected) {  // per-step parameters replace them (e.g. smoothquant:alpha=search)
  for (const char* flag : {"--alpha 0.6", "--alpha-search", "--no-clip", "--act-order", "--static-groups"}) {
    const CliResult r = run(std::string("ptq --algo rtn --weights mxint4 ") + flag + " --data-dir " + MXLAB_DATA_DIR);
    EXPECT_NE(r.status, 0) << flag;
  }
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  return {(std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()};
}

// --block row: one group per output channel, whatever the layer's width (q: 64 inputs, down: 172): the exact
// bits of stories260K's 35 linears with one FP32 scale per row.
TEST_F(Cli, PtqBlockRowIsOneGroupPerOutputChannel) {
  const auto out = dir / "ptq.json";
  const std::string cmd = std::string(MXLAB_CLI) + " ptq --data-dir " + MXLAB_DATA_DIR +
                          " --algo gptq --weights int4 --block row --calib-samples 1 --calib-len 64 --eval-tokens 512"
                          " --json > " + out.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string text = read_file(out);
  // down: 64 rows x (32 + 172 * 4) bits; q: 64 x (32 + 64 * 4) (JSON keys are sorted: bits, .., cols, name)
  for (const char* key : {"\"weights\":\"int4/row\"", "{\"bits\":46080,", "\"cols\":172,\"name\":\"layers.0.down\"",
                          "{\"bits\":18432,"})
    EXPECT_NE(text.find(key), std::string::npos) << key << " in " << text;
}

TEST_F(Cli, QuantizeBlockRowIsTheLastAxis) {
  const auto out = dir / "y.f32";
  ASSERT_EQ(run("quantize --format int4 --block row --in " + in() + " --out " + out.string()).status, 0);
  std::vector<float> want(x.size());
  fake_quantize(Format::int4, x, want, {.block = 100});  // a raw .f32 is one row
  EXPECT_EQ(read(out), want);
}

TEST_F(Cli, PtqTextShowsBitsPerWeightAndGemm) {
  const auto out = dir / "ptq.txt";
  const std::string cmd = std::string(MXLAB_CLI) + " ptq --data-dir " + MXLAB_DATA_DIR +
                          " --algo gptq:act_order=on --weights mxfp4_e2m1 --calib-samples 1 --calib-len 64"
                          " --eval-tokens 512 > " + out.string() + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string text = read_file(out);
  for (const char* key : {"tinystories: ppl", "wikitext2: ppl", "weights mxfp4_e2m1/32: 4.2", "bits/weight", "in 35 linears",
                          "gemm fakequant, acc fp32"})
    EXPECT_NE(text.find(key), std::string::npos) << key << " in " << text;
}

// `ptq-table` is the seed sweep spec through the runner: tests/experiments (PtqTable.RunsItsSpecThroughTheRunner).

// Calibrating on an evaluation text is refused with one line and exit 1 (by content, also under another name),
// unless --allow-overlap.
TEST_F(Cli, PtqRefusesCalibrationOnEvaluationText) {
  const std::string stories = std::string(MXLAB_DATA_DIR) + "/text/tinystories-valid-dev.txt";
  fs::copy_file(stories, dir / "copy.txt");
  const std::string base = "ptq --algo rtn --weights mxint4 --calib-samples 2 --eval-tokens 1024 --data-dir " +
                           std::string(MXLAB_DATA_DIR) + " --calib ";
  for (const std::string& calib : {stories, (dir / "copy.txt").string()}) {
    const CliResult r = run(base + calib);
    EXPECT_EQ(r.status, 1) << calib;
    EXPECT_NE(r.err.find("has the same content as the evaluation text 'tinystories'"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(run(base + stories + " --allow-overlap").status, 0);
}
}  // namespace
}  // namespace mxlab
