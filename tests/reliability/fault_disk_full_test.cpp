// A full disk under `quantize --out`, `ptq --out` and `sweep --out` (issue 16): a clear error, a non-zero exit, no
// partial output and no corrupt result file. Two disks: a 16 KiB tmpfs (ENOSPC; needs mount rights, else skipped)
// and a 16 KiB file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored: EFBIG; works unprivileged).
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cstring>
#include <random>

#include "experiments/result_store.hpp"
#include "fault_util.hpp"

namespace mxlab::fault {
namespace {

constexpr rlim_t kLimit = 16 << 10;  // less than any output here, a sweep's point file included

class DiskFull : public ::testing::TestWithParam<bool> {  // true: tmpfs, false: file-size limit
 protected:
  void SetUp() override {
    out_ = d_ / "out";
    fs::create_directories(out_);
    if (GetParam()) {
      if (::mount("tmpfs", out_.c_str(), "tmpfs", 0, "size=16k") != 0)
        GTEST_SKIP() << "cannot mount a small tmpfs here (" << std::strerror(errno)
                     << "); the file-size limit covers it";
      mounted_ = true;
    }
    std::vector<float> x(1 << 18);  // 1 MiB in, 1 MiB out: more than the disk holds
    std::mt19937 rng(9);
    std::normal_distribution<float> g;
    for (float& v : x) v = g(rng);
    std::ofstream(d_ / "x.f32", std::ios::binary).write(reinterpret_cast<const char*>(x.data()), x.size() * 4);
  }
  void TearDown() override {
    if (mounted_) ::umount2(out_.c_str(), MNT_DETACH);
  }
  // Runs mxlab with the disk (or limit) in place; returns the exit code, the log in `log`.
  int run_full(const std::vector<std::string>& args, std::string& log) {
    const fs::path file = d_ / "log.txt";
    fs::remove(file);
    const int rc = run(args, file, GetParam() ? 0 : kLimit);
    log = read_text(file);
    return rc;
  }
  // Nothing but `allowed` (names) may remain on the disk.
  void expect_only(const std::vector<std::string>& allowed) {
    for (const auto& e : fs::recursive_directory_iterator(out_)) {
      const std::string name = fs::relative(e.path(), out_).string();
      EXPECT_TRUE(std::find(allowed.begin(), allowed.end(), name) != allowed.end()) << name << " left on the full disk";
    }
  }
  ScratchDir d_;
  fs::path out_;
  bool mounted_ = false;
};

TEST_P(DiskFull, QuantizeFailsCleanly) {
  std::string log;
  const int rc = run_full({"quantize", "--format", "mxint8", "--in", (d_ / "x.f32").string(), "--out",
                           (out_ / "y.f32").string(), "--packed", (out_ / "y.mxlp").string()},
                          log);
  EXPECT_EQ(rc, 1) << log;
  EXPECT_EQ(log.rfind("mxlab: error: " + (out_ / "y.").string(), 0), 0u) << log;
  EXPECT_NE(log.find("write failed (disk full?)"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  expect_only({});
}

TEST_P(DiskFull, PtqOutFailsCleanly) {
  if (!have_data()) GTEST_SKIP() << "no data";
  std::string log;  // the quantized stories260K checkpoint is ~1 MB of FP32
  const int rc = run_full(
      {"ptq", "--data-dir", MXLAB_DATA_DIR, "--algo", "rtn", "--weights", "mxint8", "--calib-samples", "1",
       "--calib-len", "32", "--eval-tokens", "512", "--dequantized", "f32", "--out", (out_ / "q.safetensors").string()},
      log);
  EXPECT_EQ(rc, 1) << log;
  EXPECT_EQ(last_line(log).rfind("mxlab: error: ", 0), 0u) << log;
  EXPECT_NE(last_line(log).find("q.safetensors"), std::string::npos) << log;
  expect_only({});
}

TEST_P(DiskFull, SweepFailsCleanlyAndResumesWhenThereIsRoom) {
  if (!have_data()) GTEST_SKIP() << "no data";
  write_text(d_ / "s.toml", small_spec("weights = [\"mxint8\"]\npipeline = [\"rtn\"]"));
  const fs::path out = out_ / "r.h5";
  std::string log;
  const int rc = run_full({"sweep", (d_ / "s.toml").string(), "--out", out.string()}, log);
  EXPECT_NE(rc, 0) << log;
  EXPECT_EQ(last_line(log).rfind("mxlab: error: ", 0), 0u) << log;
  if (fs::exists(out)) {
    EXPECT_NO_THROW(experiments::read_store(out));  // never a corrupt result file
  }
  for (const fs::path& t : temporaries(out_)) ADD_FAILURE() << t << " left behind";
  // With room again (no limit, a normal directory), the same sweep completes.
  const fs::path roomy = d_ / "r.h5";
  ASSERT_EQ(run({"sweep", (d_ / "s.toml").string(), "--out", roomy.string()}, d_ / "log2.txt"), 0)
      << read_text(d_ / "log2.txt");
  EXPECT_EQ(experiments::read_store(roomy).points.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Disk, DiskFull, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Tmpfs16k" : "FileSizeLimit16k"; });

}  // namespace
}  // namespace mxlab::fault
