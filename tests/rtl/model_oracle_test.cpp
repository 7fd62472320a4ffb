// The unit models against the exact oracle: every accumulator step equals RNE(acc + X_A X_B sum A_i B_i) computed
// with Boost.Multiprecision rationals from formats::decode_elem (not from the model's fixed-point decoder).
#include <gtest/gtest.h>

#include <cmath>

#include "formats/oracle.hpp"
#include "rtl/models/int_mac_model.hpp"
#include "rtl/models/units.hpp"

namespace mxlab::rtl {
namespace {
using oracle::Rational;
using oracle::pow2;
using oracle::acc_value;
using oracle::round_exact;

// Exact value of an element code as the MX block uses it: FP decode_elem; MX INT k * 2^-frac_bits (OCP MX 5.3.3).
Rational elem_value(Elem e, std::uint8_t code) {
  const ElemSpec& s = elem_spec(e);
  const double v = decode_elem(e, code);
  Rational r = Rational(static_cast<long long>(std::ldexp(v, 40))) * pow2(-40);
  if (s.is_int)
    for (const FormatTraits& t : format_table())
      if (t.family == Family::mx && t.elem == e) r *= pow2(-t.frac_bits);
  return r;
}

// One step checked: model output == RNE(exact(previous model acc) + exact block value), when all is finite.
struct OracleStats {
  std::size_t checked = 0, specials = 0, mismatches = 0;
};
OracleStats check_sequence(const std::vector<BlockVector>& v, ScaleType scale, const AccFormat& f) {
  OracleStats st;
  BlockDotModel m(scale, f);
  const std::uint64_t emask = (std::uint64_t{1} << f.ebits) - 1;
  const Elem se = scale == ScaleType::e8m0 ? Elem::e8m0 : Elem::ue4m3;
  for (const BlockVector& x : v) {
    const std::uint64_t prev = x.clear ? 0 : m.acc();
    const AccResult r = m.step(x.pair());
    const double sa = decode_elem(se, x.xa), sb = decode_elem(se, x.xb);
    bool special = ((prev >> f.mbits) & emask) == emask || std::isnan(sa) || std::isnan(sb);
    for (std::size_t i = 0; i < x.a.size() && !special; ++i)
      special = !std::isfinite(decode_elem(x.ea, x.a[i])) || !std::isfinite(decode_elem(x.eb, x.b[i]));
    if (special) {  // NaN / Inf paths are checked by explicit expectations elsewhere
      ++st.specials;
      continue;
    }
    Rational sum = 0;
    for (std::size_t i = 0; i < x.a.size(); ++i) sum += elem_value(x.ea, x.a[i]) * elem_value(x.eb, x.b[i]);
    const Rational exact = acc_value(f, prev) + oracle::exact(static_cast<float>(sa)) * oracle::exact(static_cast<float>(sb)) * sum;
    const std::uint64_t want = round_exact(f, exact);
    ++st.checked;
    if (r.bits != want && ++st.mismatches <= 5)
      ADD_FAILURE() << "model " << std::hex << r.bits << " oracle " << want << " for " << golden_line(x);
    if (f.ebits == 8 && f.mbits == 23 && ((want >> 23) & 0xFF) != 0xFF) {  // cross-check with the formats oracle
      EXPECT_EQ(acc_value(f, want), oracle::round_to_f32(exact));
    }
  }
  return st;
}

class ModelOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelOracle, RandomAndAdversarialBlocksEveryAccumulatorFormat) {
  UnitConfig u = unit_config(GetParam());
  u.stim.clear_prob = 0.5;  // restart often: a NaN/Inf accumulator hides the following steps from the oracle
  std::vector<BlockVector> v = adversarial_blocks(u.stim);
  auto rnd = random_blocks(u.stim, 10000, 7);
  v.insert(v.end(), rnd.begin(), rnd.end());
  std::size_t checked = 0;
  for (const AccFormat f : {AccFormat{8, 23}, AccFormat{8, 7}, AccFormat{5, 10}, AccFormat{11, 52}}) {
    const OracleStats st = check_sequence(v, u.stim.scale, f);
    std::printf("[model vs oracle] %s acc E%dM%d: %zu steps checked, %zu special, %zu mismatches\n", u.name.c_str(),
                f.ebits, f.mbits, st.checked, st.specials, st.mismatches);
    EXPECT_EQ(st.mismatches, 0u);
    EXPECT_GT(st.checked, 2500u);
    checked += st.checked;
  }
  RecordProperty("steps_checked", static_cast<int>(checked));
}
INSTANTIATE_TEST_SUITE_P(Units, ModelOracle, ::testing::ValuesIn(unit_names(UnitKind::block_dot)));

TEST(ModelSpecials, NanScaleInfAndCancellationFollowTheDefinition) {
  const StimulusSpec s = unit_config("mx_dot_any").stim;
  std::vector<BlockVector> v = adversarial_blocks(s, Elem::e4m3, Elem::e4m3);
  run_model(v, s.scale);
  EXPECT_EQ(v[0].acc, 0u);                          // all-zero block
  EXPECT_EQ(v[2].acc, 0u);                          // exact cancellation gives +0
  EXPECT_EQ(v[4].acc, 0x7F800000u);                 // 448^2 * 32 * 2^254 overflows to +Inf
  EXPECT_EQ(v[4].flags, unsigned{kOverflow | kInexact});
  EXPECT_EQ(v[5].acc, 0x7F800000u);                 // Inf + finite
  EXPECT_EQ(v[6].acc, 0xFF800000u);                 // -Inf
  EXPECT_EQ(v[10].acc, 0x7FC00000u);                // NaN scale (OCP MX v1.0 6.1: NaN scale -> NaN)
  EXPECT_EQ(v[10].flags, unsigned{kNanIn});
  EXPECT_EQ(v[11].acc, 0x7FC00000u);                // NaN stays until clear
  EXPECT_EQ(v[12].acc, 0x7FC00000u);                // NaN scale with zero elements is still NaN
  // E5M2: Inf x 0 and +Inf + -Inf are invalid
  std::vector<std::uint8_t> a(32, 0), b(32, 0);
  a[0] = 0x7C;  // +Inf
  BlockDotModel m(ScaleType::e8m0);
  EXPECT_EQ(m.step({Elem::e5m2, Elem::e5m2, 127, 127, true, a, b}).flags, unsigned{kInvalid});
  b[0] = 0x3C;  // 1.0
  a[1] = 0xFC, b[1] = 0x3C;  // -Inf
  EXPECT_EQ(m.step({Elem::e5m2, Elem::e5m2, 127, 127, true, a, b}).bits, 0x7FC00000u);
  a[1] = 0;
  EXPECT_EQ(m.step({Elem::e5m2, Elem::e5m2, 127, 127, true, a, b}).bits, 0x7F800000u);
}

TEST(IntModels, IntMacAndVqMacWrapExactly) {
  IntMacModel m(Elem::int8, Elem::int8, 16);
  std::vector<std::uint8_t> a(8, 0x7F), b(8, 0x81);  // 127 * -127 * 8 = -129032 -> wraps in 16 bits
  EXPECT_EQ(m.step(true, a, b), wrap_signed(-129032, 16));
  VqMacModel vq(2, 4);
  const std::int8_t cw[2] = {-128, 127};
  vq.write(3, cw);
  const std::uint32_t idx[1] = {3};
  const std::int8_t x[2] = {2, -1};
  EXPECT_EQ(vq.step(true, idx, x), -256 - 127);
}

}  // namespace
}  // namespace mxlab::rtl
