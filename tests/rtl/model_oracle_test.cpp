// The C++ unit models against the independent reference (rtl/models/oracle_reference.hpp: exact rationals from
// formats::decode_elem): every step of adversarial and seeded random streams, NaN/Inf steps and flags included,
// for four accumulator formats; and the integer models against plain wrapped integer sums.
#include <gtest/gtest.h>

#include "reference_check.hpp"
#include "rtl/models/int_mac_model.hpp"
#include "rtl/models/units.hpp"

namespace mxlab::rtl {
namespace {

class ModelOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelOracle, EveryStepAndFlagEveryAccumulatorFormat) {
  const UnitConfig& u = unit_config(GetParam());
  std::vector<BlockVector> v = adversarial_blocks(u.stim);
  auto rnd = random_blocks(u.stim, 10000, 7);
  v.insert(v.end(), rnd.begin(), rnd.end());
  std::size_t checked = 0;
  for (const AccFormat f : {AccFormat{8, 23}, AccFormat{8, 7}, AccFormat{5, 10}, AccFormat{11, 52}}) {
    std::vector<BlockVector> w = v;
    if (f.mbits > 48)  // the model's tensor-scale product is exact up to 2 (M + 1) = 100 bits: FP64 runs unscaled
      for (BlockVector& x : w) x.alpha.reset();
    const ReferenceRun r = expect_from_reference(w, u.stim.scale, u.name, "random+adversarial", f);
    EXPECT_EQ(r.model.mismatches, 0u) << f.name();
    EXPECT_EQ(r.model.checked, v.size());
    EXPECT_GT(r.cov.nan, 0u);
    if (f.mbits < 52) {  // FP64 holds every block sum of these units exactly
      EXPECT_GT(r.cov.inexact, 0u);
    }
    checked += r.model.checked;
  }
  RecordProperty("steps_checked", static_cast<int>(checked));
}
INSTANTIATE_TEST_SUITE_P(Units, ModelOracle, ::testing::ValuesIn(unit_names(UnitKind::block_dot)),
                         [](const auto& i) { return i.param; });

TEST(IntModels, IntMacAndVqMacWrapExactly) {
  IntMacModel m(Elem::int8, Elem::int8, 16);
  std::vector<std::uint8_t> a(8, 0x7F), b(8, 0x81);  // 127 * -127 * 8 = -129032 -> wraps in 16 bits
  EXPECT_EQ(m.step(true, a, b), -129032 + 2 * 65536);
  VqMacModel vq(2, 4);
  const std::int8_t cw[2] = {-128, 127};
  vq.write(3, cw);
  const std::uint32_t idx[1] = {3};
  const std::int8_t x[2] = {2, -1};
  EXPECT_EQ(vq.step(true, idx, x), -256 - 127);
}

}  // namespace
}  // namespace mxlab::rtl
