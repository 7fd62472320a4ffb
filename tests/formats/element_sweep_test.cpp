// Exhaustive: float32 inputs in dense sweeps around every representable value and every midpoint of every
// element type (+-24 float32 ulps each, both signs, beyond max normal too) encode as the exact oracle says,
// for each rounding mode (stochastic with several random draws).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "formats/element.hpp"
#include "formats/oracle.hpp"

namespace mxlab {
namespace {
using oracle::Rational;

// The float32 probes: each representable magnitude and midpoint, its 24 float neighbours on each side, signed.
std::vector<float> probes(Elem e) {
  const auto mags = oracle::element_magnitudes(e);
  std::set<float> centers;
  for (std::size_t i = 0; i < mags.size(); ++i) {
    centers.insert(static_cast<float>(static_cast<double>(mags[i])));
    const Rational next = i + 1 < mags.size() ? mags[i + 1] : mags[i] * 2;  // also probe past max normal
    centers.insert(static_cast<float>(static_cast<double>((mags[i] + next) / 2)));
  }
  std::vector<float> out;
  for (float c : centers) {
    float lo = c, hi = c;
    for (int k = 0; k < 24; ++k) { lo = std::nextafter(lo, -1.f); hi = std::nextafter(hi, INFINITY); }
    for (float v = lo; v <= hi; v = std::nextafter(v, INFINITY)) { out.push_back(v); out.push_back(-v); }
  }
  return out;
}

class ElementSweep : public ::testing::TestWithParam<Elem> {};

TEST_P(ElementSweep, ReferenceEncoderEqualsOracle) {
  const Elem e = GetParam();
  const auto xs = probes(e);
  const std::uint32_t draws[] = {0, 1, 0x400000, 0x7FFFFF, 0x800000, 0xC00000, 0xFFFFFF};
  std::size_t checked = 0;
  for (float x : xs) {
    if (!elem_spec(e).is_signed && x < 0) continue;
    const Rational exact = oracle::exact(x);
    for (Round mode : {Round::even, Round::nearest, Round::floor, Round::stochastic}) {
      for (std::uint32_t u : draws) {
        if (mode != Round::stochastic && u != 0) continue;
        const double got = decode_elem(e, encode_elem_ref(e, x, mode, u));
        const double want = static_cast<double>(oracle::round_to_element(e, exact, mode, u));
        ASSERT_EQ(got, want) << elem_spec(e).name << " x=" << x << " (" << std::hexfloat << x << std::defaultfloat
                             << ") mode " << round_name(mode) << " u24=" << u;
        ++checked;
      }
    }
  }
  RecordProperty("checked", static_cast<int>(checked));
  EXPECT_GT(checked, 1000u);
}

INSTANTIATE_TEST_SUITE_P(AllElements, ElementSweep,
                         ::testing::Values(Elem::e4m3, Elem::e5m2, Elem::e3m2, Elem::e2m3, Elem::e2m1, Elem::e1m2,
                                           Elem::e3m0, Elem::int2, Elem::int3, Elem::int4, Elem::int6, Elem::int8,
                                           Elem::ue4m3),
                         [](const auto& info) { return std::string(elem_spec(info.param).name); });

TEST(ElementSweep, SignedZeroAndSpecials) {
  EXPECT_EQ(encode_elem_ref(Elem::e2m1, -0.0L, Round::even), 0x8u);
  EXPECT_EQ(encode_elem_ref(Elem::e2m1, -0.1L, Round::even), 0x8u);  // -0.1 rounds to -0
  EXPECT_EQ(encode_elem_ref(Elem::int4, -0.1L, Round::even), 0x0u);  // two's complement has no -0
  EXPECT_EQ(encode_elem_ref(Elem::e4m3, NAN, Round::even), 0x7Fu);
  EXPECT_EQ(encode_elem_ref(Elem::e4m3, 1e9L, Round::even, 0, true), 0x7Eu);   // saturate to 448
  EXPECT_EQ(encode_elem_ref(Elem::e4m3, 1e9L, Round::even, 0, false), 0x7Fu);  // OCP E4M3 overflow -> NaN
  EXPECT_EQ(encode_elem_ref(Elem::e5m2, 1e9L, Round::even, 0, false), 0x7Cu);  // E5M2 overflow -> Inf
  EXPECT_EQ(encode_elem_ref(Elem::e5m2, -INFINITY, Round::even, 0, true), 0xFBu);
  EXPECT_EQ(encode_elem_ref(Elem::e5m2, 61440.0L, Round::even, 0, false), 0x7Cu);  // midpoint 57344|Inf -> Inf
  EXPECT_EQ(encode_elem_ref(Elem::e5m2, 61439.0L, Round::even, 0, false), 0x7Bu);
  EXPECT_THROW(encode_elem_ref(Elem::e8m0, 1.0L, Round::even), std::invalid_argument);
  EXPECT_THROW(encode_elem_ref(Elem::ue4m3, -1.0L, Round::even), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab
