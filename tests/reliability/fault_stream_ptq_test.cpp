// SIGKILL during streamed `mxlab ptq --stream on --out DIR` (issues 15, 16): the killed writer leaves its hidden
// `.DIR.partial-PID` directory (nothing at DIR); the next run for the same --out removes it (its process is dead),
// leaves a live process's partial directory and unrelated names alone, and writes DIR byte for byte as an
// uninterrupted run does.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "fault_util.hpp"

namespace mxlab::fault {
namespace {

using namespace std::chrono_literals;

// Every regular file under `dir`, by relative path, with its content.
std::map<std::string, std::string> files_of(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_text(e.path());
  return out;
}

// The names in `dir` that start with `prefix`.
std::vector<std::string> names_with(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Waits until `p` exists (polling every millisecond) or the child `pid` exited or `limit` passed.
bool wait_for(const fs::path& p, pid_t pid, std::chrono::milliseconds limit) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < limit) {
    if (fs::exists(p)) return true;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
      return false;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

TEST(FaultKill, StreamedPtqLeftoverIsRemovedByTheNextRun) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  const fs::path work = d / "work", model = d / "model";
  fs::create_directories(work);
  ASSERT_EQ(run({"synth-model", "--shape", "64,172,8,8,4,512", "--dtype", "bf16", "--quiet", "--out", model.string()},
                d / "synth.log"),
            0)
      << read_text(d / "synth.log");
  auto args = [&](const fs::path& out) {
    return std::vector<std::string>{
        "ptq",         "--model", model.string(), "--tokenizer", MXLAB_DATA_DIR "/models/tok512.bin", "--calib",
        MXLAB_DATA_DIR "/text/tinystories-valid-dev.txt", "--calib-samples", "2", "--calib-len", "64", "--algo", "gptq",
        "--weights",   "mxint4",  "--no-eval",      "--quiet",     "--stream", "on", "--out", out.string()};
  };
  ASSERT_EQ(run(args(d / "ref"), d / "ref.log"), 0) << read_text(d / "ref.log");

  // Killed once its first layer shard is written (or, on a very fast run, as soon as its directory exists).
  const fs::path q = work / "q";
  const pid_t pid = spawn(args(q), d / "killed.log");
  const fs::path partial = work / (".q.partial-" + std::to_string(pid));
  ASSERT_TRUE(wait_for(partial, pid, 120s)) << "no partial directory seen: " << read_text(d / "killed.log");
  wait_for(partial / "model-00001-of-00009.safetensors", pid, 2000ms);
  ::kill(pid, SIGKILL);
  ASSERT_EQ(wait_exit(pid), -SIGKILL) << "finished before it was killed: " << read_text(d / "killed.log");
  ASSERT_TRUE(fs::is_directory(partial)) << "a killed writer cannot remove its partial directory";
  EXPECT_FALSE(fs::exists(q)) << "nothing at --out before the run completes";

  // A live writer's directory (this test process stands in for it) and names that are not `<prefix><pid>`.
  const std::string live = ".q.partial-" + std::to_string(::getpid());
  for (const std::string& keep : {live, std::string(".q.partial-12x"), std::string(".other.partial-999999999")}) {
    fs::create_directories(work / keep);
    write_text(work / keep / "x", "kept");
  }

  ASSERT_EQ(run(args(q), d / "rerun.log"), 0) << read_text(d / "rerun.log");
  std::vector<std::string> kept{live, ".q.partial-12x"};
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(names_with(work, ".q.partial-"), kept);
  EXPECT_TRUE(fs::exists(work / ".other.partial-999999999/x"));
  const auto ref = files_of(d / "ref"), got = files_of(q);
  EXPECT_EQ(ref.size(), 11u);  // 8 layer shards, the head's, the index, config.json
  ASSERT_EQ(got.size(), ref.size());
  for (const auto& [name, bytes] : ref) EXPECT_TRUE(got.count(name) && got.at(name) == bytes) << name << " differs";
}

}  // namespace
}  // namespace mxlab::fault
