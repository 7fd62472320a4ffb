// Conformance with a peer implementation: microxcaling's MX outputs (../shared/data/mx-dev-vectors) for
// 8 formats x 3 rounding modes equal ours, value for value (NaN where it is NaN), on both paths.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_util.hpp"

namespace mxlab {
namespace {
namespace fs = std::filesystem;

fs::path vectors_dir() {
  const char* env = std::getenv("MXLAB_DATA");
  return fs::path(env && *env ? env : MXLAB_DATA_DIR) / "mx-dev-vectors";
}
std::vector<float> read_f32(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + p.string());
  std::vector<float> v(fs::file_size(p) / 4);
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
  return v;
}

TEST(MxDevVectors, MicroxcalingOutputsMatch) {
  const fs::path dir = vectors_dir();
  ASSERT_TRUE(fs::exists(dir / "input.f32")) << "no " << dir << ": set MXLAB_DATA to the data directory";
  const auto x = read_f32(dir / "input.f32");
  ASSERT_EQ(x.size(), 1024u * 32);
  int files = 0;
  for (const char* name : {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4_e2m1", "mxint8", "mxint4", "mxint2"})
    for (Round r : {Round::even, Round::nearest, Round::floor}) {
      const auto want = read_f32(dir / (std::string(name) + "." + std::string(round_name(r)) + ".f32"));
      ASSERT_EQ(want.size(), x.size());
      const Format f = find_format(name).id;
      std::vector<float> fast(x.size()), ref(x.size());
      fake_quantize(f, x, fast, {.round = r});
      fake_quantize_ref(f, x, ref, {.round = r});
      std::size_t mismatches = 0, first = 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        const bool same = (std::isnan(want[i]) && std::isnan(ref[i])) || want[i] == ref[i];  // +0 == -0
        if (!same && mismatches++ == 0) first = i;
      }
      EXPECT_EQ(mismatches, 0u) << name << "." << round_name(r) << " first at " << first << ": x=" << x[first]
                                << " want " << want[first] << " got " << ref[first];
      EXPECT_TRUE(test::bit_equal(fast, ref)) << name << "." << round_name(r);
      ++files;
    }
  EXPECT_EQ(files, 24);
}

}  // namespace
}  // namespace mxlab
