// SIGKILL during `mxlab quantize --out --packed` and `mxlab ptq --out` (issue 16): killed at any moment (among
// them while the output is being written), every output either does not exist or is complete: byte for byte the
// file an uninterrupted run writes (outputs go to a temporary file renamed into place).
#include <gtest/gtest.h>

#include <random>

#include "fault_util.hpp"

namespace mxlab::fault {
namespace {

using namespace std::chrono_literals;

// The wall time of one uninterrupted run of `args` (which must succeed), and kill delays spread over it.
std::vector<std::chrono::milliseconds> delays_over(const std::vector<std::string>& args, const fs::path& log,
                                                   const std::vector<double>& fractions) {
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(run(args, log), 0) << read_text(log);
  const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  std::vector<std::chrono::milliseconds> out;
  for (double f : fractions) out.push_back(std::chrono::milliseconds(static_cast<long>(f * t.count())));
  return out;
}

// Kills `args` at each moment: after `delays`, and once as soon as a temporary output file appears under `dir`.
// After each kill, every (output, reference) pair must hold: output absent, or equal to the reference; `outputs`
// are in the order the program finishes them, so one present implies every earlier one present. Returns how many
// kills found each output complete (present), so the caller can see both states were reached.
std::vector<int> kill_at_moments(const std::vector<std::string>& args, const fs::path& dir,
                                 const std::vector<std::pair<fs::path, fs::path>>& outputs,
                                 const std::vector<std::chrono::milliseconds>& delays) {
  std::vector<int> present(outputs.size(), 0);
  for (std::size_t round = 0; round <= delays.size(); ++round) {
    const bool on_temporary = round == delays.size();
    SCOPED_TRACE(on_temporary ? std::string("killed when a temporary appeared")
                              : "killed after " + std::to_string(delays[round].count()) + " ms");
    TemporaryWatch watch(dir);
    const pid_t pid = spawn(args, dir / "log.txt");
    if (on_temporary)
      EXPECT_TRUE(watch.wait(pid, 120s)) << "no temporary output file seen: " << read_text(dir / "log.txt");
    else
      std::this_thread::sleep_for(delays[round]);
    ::kill(pid, SIGKILL);
    wait_exit(pid);
    for (std::size_t i = 1; i < outputs.size(); ++i) {
      if (fs::exists(outputs[i].first)) {
        EXPECT_TRUE(fs::exists(outputs[i - 1].first)) << outputs[i].first << " without " << outputs[i - 1].first;
      }
    }
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const auto& [out, ref] = outputs[i];
      if (!fs::exists(out)) continue;
      ++present[i];
      EXPECT_TRUE(read_text(out) == read_text(ref)) << out << " exists but differs from the uninterrupted run's";
      fs::remove(out);
    }
    for (const fs::path& t : temporaries(dir)) fs::remove(t);  // a killed writer cannot remove its temporary
    fs::remove(dir / "log.txt");
  }
  return present;
}

TEST(FaultKill, QuantizeOutputsAreAbsentOrCompleteWhenKilled) {
  ScratchDir d;
  const fs::path work = d / "work";
  fs::create_directories(work);
  std::vector<float> x(1 << 20);  // 4 MiB, so that writing takes a while
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  for (float& v : x) v = g(rng);
  std::ofstream(d / "x.f32", std::ios::binary).write(reinterpret_cast<const char*>(x.data()), x.size() * 4);
  auto args = [&](const fs::path& out, const fs::path& packed) {
    return std::vector<std::string>{"quantize", "--format",   "mxfp4_e2m1", "--in",         (d / "x.f32").string(),
                                    "--out",    out.string(), "--packed",   packed.string()};
  };
  // moments from the start to past the end of an uninterrupted run (timing varies: the late ones often find both)
  const auto delays =
      delays_over(args(d / "ref.f32", d / "ref.mxlp"), d / "ref.log", {0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.5});
  const fs::path y = work / "y.f32", p = work / "y.mxlp";
  const auto present = kill_at_moments(args(y, p), work, {{p, d / "ref.mxlp"}, {y, d / "ref.f32"}}, delays);
  std::cout << "[ faults ] quantize: 8 kills; packed present after " << present[0] << ", output after " << present[1]
            << "\n";
}

TEST(FaultKill, PtqOutputIsAbsentOrCompleteWhenKilled) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  const fs::path work = d / "work";
  fs::create_directories(work);
  auto args = [&](const fs::path& out) {
    return std::vector<std::string>{
        "ptq", "--data-dir",  MXLAB_DATA_DIR, "--algo",        "rtn", "--weights", "mxint4",    "--calib-samples",
        "1",   "--calib-len", "32",           "--eval-tokens", "512", "--out",     out.string()};
  };
  fs::create_directories(d / "ref");
  const auto delays = delays_over(args(d / "ref/q.safetensors"), d / "ref.log", {0.6, 1.5});
  const fs::path q = work / "q.safetensors";
  // config.json is written before the weights (weights without their config would not load)
  const auto present = kill_at_moments(
      args(q), work, {{work / "config.json", d / "ref/config.json"}, {q, d / "ref/q.safetensors"}}, delays);
  std::cout << "[ faults ] ptq --out: 3 kills; config present after " << present[0] << ", weights after " << present[1]
            << "\n";
}

}  // namespace
}  // namespace mxlab::fault
