// Two `mxlab sweep` processes at once, each writing its own result file from the same data (issue 16): both
// finish, and every point's metrics equal, bit for bit, those of the same sweep run alone.
#include <gtest/gtest.h>

#include "experiments/result_store.hpp"
#include "fault_util.hpp"

namespace mxlab::fault {
namespace {

std::map<std::string, std::map<std::string, double>> metrics(const fs::path& file) {
  std::map<std::string, std::map<std::string, double>> out;
  for (const auto& p : experiments::read_store(file).points) {
    EXPECT_TRUE(p.ok()) << p.name;
    for (const auto& [key, value] : p.metrics)  // wall times (seconds, ptq_seconds) differ by nature
      if (!key.ends_with("seconds")) out[p.name][key] = value;
  }
  return out;
}

TEST(FaultConcurrentSweeps, TwoSweepsAtOnceEqualEachRunAlone) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  write_text(d / "a.toml", small_spec("weights = [\"mxint8\", \"mxint4\"]\npipeline = [\"rtn\"]"));
  write_text(d / "b.toml", small_spec("weights = [\"mxfp4_e2m1\"]\npipeline = [\"rtn\", \"gptq\"]"));
  for (const char* s : {"a", "b"})
    ASSERT_EQ(run({"sweep", (d / (std::string(s) + ".toml")).string(), "--out",
                   (d / (std::string(s) + "_alone.h5")).string()},
                  d / "alone.log"),
              0)
        << read_text(d / "alone.log");
  const pid_t a = spawn({"sweep", (d / "a.toml").string(), "--out", (d / "a_both.h5").string()}, d / "a.log");
  const pid_t b = spawn({"sweep", (d / "b.toml").string(), "--out", (d / "b_both.h5").string()}, d / "b.log");
  ASSERT_EQ(wait_exit(a), 0) << read_text(d / "a.log");
  ASSERT_EQ(wait_exit(b), 0) << read_text(d / "b.log");
  for (const char* s : {"a", "b"}) {
    const auto alone = metrics(d / (std::string(s) + "_alone.h5")), both = metrics(d / (std::string(s) + "_both.h5"));
    EXPECT_EQ(alone.size(), 2u);
    EXPECT_EQ(both, alone) << s;
  }
  EXPECT_TRUE(temporaries(d.path()).empty());
}

}  // namespace
}  // namespace mxlab::fault
