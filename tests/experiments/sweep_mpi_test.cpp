// `mpirun -n 2 mxlab sweep` shards the points over two ranks and gathers one result file with the same numbers
// as one process.
#include <gtest/gtest.h>

#include <cstdlib>

#include "experiments/result_store.hpp"
#include "test_util.hpp"
#include "tests/asan_env.hpp"

namespace mxlab::experiments {
namespace {

using namespace test;

#ifdef MXLAB_MPIEXEC
// Under AddressSanitizer the ranks run without leak detection: OpenMPI 4.1's MPI_Finalize leaves allocations of its
// plugins, reported from modules it has already unloaded (no suppression can name them). The same sweep code is
// leak-checked in the single-process sweep tests.
const std::string kMpiLeaks = mxlab::test::asan_options_prefix("detect_leaks=0");

TEST(SweepMpi, TwoRanksGiveTheSameFileAsOne) {
  if (!have_data()) GTEST_SKIP() << "no data";
  ScratchDir d;
  write_text(d / "s.toml", small_spec("weights = [\"mxint8\", \"mxint4\", \"mxfp4_e2m1\"]\npipeline = [\"rtn\", \"gptq\"]"));
  // One OpenMP thread per process: both runs then add in the same order.
  const std::string env = "OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ";
  const std::string sweep = std::string(MXLAB_CLI) + " sweep " + (d / "s.toml").string() + " --out ";
  const std::string mpi = env + kMpiLeaks + MXLAB_MPIEXEC + " -n 2 --oversubscribe --bind-to none --mca btl self,vader " +
                          "--mca btl_vader_single_copy_mechanism none " + sweep + (d / "two.h5").string() + " > " +
                          (d / "two.log").string() + " 2>&1";
  ASSERT_EQ(std::system(mpi.c_str()), 0) << read_text(d / "two.log");
  ASSERT_EQ(std::system((env + sweep + (d / "one.h5").string() + " > " + (d / "one.log").string() + " 2>&1").c_str()), 0)
      << read_text(d / "one.log");
  const std::string log = read_text(d / "two.log");
  EXPECT_NE(log.find("computing on rank 0/2"), std::string::npos) << log;
  EXPECT_NE(log.find("computing on rank 1/2"), std::string::npos) << log;
  EXPECT_NE(log.find("6 points (6 computed, 0 kept, 0 failed)"), std::string::npos) << log;
  const StoreContents one = read_store(d / "one.h5"), two = read_store(d / "two.h5");
  ASSERT_EQ(one.points.size(), 6u);
  ASSERT_EQ(two.points.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(one.points[i].name, two.points[i].name);
    EXPECT_EQ(one.points[i].config, two.points[i].config);
    std::map<std::string, double> a = one.points[i].metrics, b = two.points[i].metrics;
    for (auto* m : {&a, &b})
      for (const char* timing : {"seconds", "ptq_seconds"}) m->erase(timing);
    EXPECT_EQ(a, b) << one.points[i].name;  // bit for bit
    EXPECT_EQ(one.points[i].layers.numbers, two.points[i].layers.numbers) << one.points[i].name;
  }
}
#endif

}  // namespace
}  // namespace mxlab::experiments
