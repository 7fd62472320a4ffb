// `mxlab sweep` killed with SIGKILL mid-run and rerun: every point exactly once, none finished recomputed, and
// the result file readable whenever it exists.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "experiments/result_store.hpp"
#include "experiments/runner.hpp"
#include "test_util.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;
using namespace std::chrono_literals;

// Starts `mxlab sweep SPEC --out OUT`, stderr to LOG.
pid_t start_sweep(const fs::path& spec, const fs::path& out, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 2);
    ::dup2(fd, 1);
    ::execl(MXLAB_CLI, MXLAB_CLI, "sweep", spec.c_str(), "--out", out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Finished point files (no temporaries) and each one's start time.
std::map<std::string, std::string> finished(const fs::path& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".h5" && e.path().filename().string().find(".tmp.") == std::string::npos) {
      const StoreContents c = read_store(e.path());  // every visible point file is complete
      out[c.points.at(0).name] = c.points.at(0).attrs.at("start_time");
    }
  return out;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

const std::string kGrid = "weights = [\"mxint8\", \"mxint4\", \"mxfp4_e2m1\"]\npipeline = [\"rtn\", \"gptq\"]";

TEST(SweepKill, RerunFinishesEveryPointOnceAndRecomputesNone) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  write_text(d / "s.toml", small_spec(kGrid));
  const fs::path out = d / "r.h5", dir = point_dir(out);
  const pid_t pid = start_sweep(d / "s.toml", out, d / "first.log");
  const auto t0 = std::chrono::steady_clock::now();
  while (finished(dir).empty() && std::chrono::steady_clock::now() - t0 < 120s) std::this_thread::sleep_for(5ms);
  ::kill(pid, SIGKILL);
  wait_exit(pid);
  const std::map<std::string, std::string> before = finished(dir);
  ASSERT_FALSE(before.empty());
  ASSERT_LT(before.size(), 6u) << "the sweep finished before the kill; nothing was resumed";
  if (fs::exists(out)) {
    EXPECT_NO_THROW(read_store(out));
  }

  ASSERT_EQ(wait_exit(start_sweep(d / "s.toml", out, d / "second.log")), 0) << read_text(d / "second.log");
  const std::string log = read_text(d / "second.log");
  const StoreContents r = read_store(out);
  ASSERT_EQ(r.points.size(), 6u);
  std::set<std::string> names;
  for (const auto& p : r.points) {
    EXPECT_TRUE(p.ok()) << p.name;
    names.insert(p.name);
    if (before.count(p.name)) {
      EXPECT_EQ(p.attrs.at("start_time"), before.at(p.name)) << p.name << " was recomputed";
      EXPECT_EQ(count(log, p.name + ": kept"), 1u) << p.name;
      EXPECT_EQ(count(log, p.name + ": computing"), 0u) << p.name;
    } else {
      EXPECT_EQ(count(log, p.name + ": computing"), 1u) << p.name;
    }
  }
  EXPECT_EQ(names.size(), 6u);
  EXPECT_EQ(count(log, ": computing"), 6 - before.size());
  for (const auto& e : fs::directory_iterator(d.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
}

TEST(SweepKill, RepeatedKillsAtVariousMomentsNeverLoseOrCorrupt) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  write_text(d / "s.toml", small_spec(kGrid));
  const fs::path out = d / "r.h5", dir = point_dir(out);
  std::map<std::string, std::string> kept;
  for (int round = 0; round < 20; ++round) {
    const pid_t pid = start_sweep(d / "s.toml", out, d / "log");
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + 300 * round));
    ::kill(pid, SIGKILL);
    const int rc = wait_exit(pid);
    const std::map<std::string, std::string> now = finished(dir);
    for (const auto& [name, start] : kept) {
      ASSERT_TRUE(now.count(name)) << name << " lost";
      EXPECT_EQ(now.at(name), start) << name << " recomputed";
    }
    if (fs::exists(out)) {
      const StoreContents r = read_store(out);  // never unreadable
      for (const auto& p : r.points) EXPECT_TRUE(now.count(p.name)) << p.name;
    }
    kept = now;
    if (rc == 0) break;  // finished before the kill
  }
  ASSERT_EQ(wait_exit(start_sweep(d / "s.toml", out, d / "log")), 0) << read_text(d / "log");
  EXPECT_EQ(read_store(out).points.size(), 6u);
}

}  // namespace
}  // namespace mxlab::experiments
