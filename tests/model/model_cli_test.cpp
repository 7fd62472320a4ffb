// `mxlab tokenize | generate | eval` end to end through the built CLI binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MXLAB_CLI
#error "MXLAB_CLI must name the mxlab executable"
#endif

namespace {

struct CliResult {
  int status;
  std::string out;
};

CliResult run_cli(const std::string& args) {
  const std::string cmd = std::string(MXLAB_CLI) + " " + args + " --data-dir " MXLAB_DATA_DIR " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

TEST(ModelCli, GreedyGenerateWithDefaults) {
  const CliResult r = run_cli("generate --temperature 0 --steps 30");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.starts_with("Once upon a time, there was a little girl named Lily.")) << r.out;
}

TEST(ModelCli, TokenizeStringPrintsIds) {
  const CliResult r = run_cli("tokenize --tokenizer models/tokenizer.bin --string 'I believe the meaning of life is'");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "1\n306\n4658\n278\n6593\n310\n2834\n338\n");
}

TEST(ModelCli, QuantizedEvalJson) {
  const CliResult r = run_cli("eval --ctx 256 --max-tokens 2048 --weights mxint4 --acts mxint8 --json");
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(j["tokens"], 8 * 255);
  EXPECT_GT(j["kld_mean"].get<double>(), 0.0);
  EXPECT_LT(j["top1_agree"].get<double>(), 1.0);
  EXPECT_GT(j["nll"].get<double>(), j["fp32_nll"].get<double>());
  EXPECT_NEAR(j["fp32_ppl"].get<double>(), std::exp(j["fp32_nll"].get<double>()), 1e-9);
  EXPECT_EQ(j["gemm"], "fakequant");
  EXPECT_EQ(j["acc"], "fp32");
}

TEST(ModelCli, BadInputIsOneLineAndExitOne) {
  for (const char* args : {"eval --weights mxint5", "eval --model /nonexistent/model.bin", "eval --ctx 100000 --max-tokens 10",
                           "eval --weights mxint4 --gemm exact", "eval --weights mxint4 --acts mxint8 --gemm exact --acc e12m3"}) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 1) << args;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_TRUE(r.out.starts_with("mxlab: error: ")) << r.out;
  }
}

// generate --stream on (decoder layers read from the memory-mapped bf16 file per step) samples exactly the tokens
// the resident model does: greedy and with temperature and top-p (the same logits bit for bit).
TEST(ModelCli, StreamedGenerateEqualsResident) {
  const std::string dir = "/tmp/mxlab_model_cli_" + std::to_string(::getpid());
  const std::string synth = std::string(MXLAB_CLI) + " synth-model --shape stories260K --dtype bf16 --quiet --out " + dir;
  ASSERT_EQ(std::system((synth + " >/dev/null").c_str()), 0);
  for (const char* sampling : {"--temperature 0", "--temperature 1 --top-p 0.9 --seed 7"}) {
    const std::string args = "generate --model " + dir + " --tokenizer models/tok512.bin --steps 48 --ids " + sampling;
    const CliResult resident = run_cli(args + " --stream off"), streamed = run_cli(args + " --stream on");
    ASSERT_EQ(resident.status, 0) << resident.out;
    ASSERT_EQ(streamed.status, 0) << streamed.out;
    EXPECT_GT(std::count(resident.out.begin(), resident.out.end(), '\n'), 8) << sampling << ": " << resident.out;
    EXPECT_EQ(streamed.out, resident.out) << sampling;
  }
  std::system(("rm -rf " + dir).c_str());
}

}  // namespace
