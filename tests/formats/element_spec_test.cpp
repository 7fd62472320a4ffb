// Conformance: every encoding of every element type decodes to the value the spec gives.
// Expected values come from the spec text (OCP MX v1.0 tables 1-4, OCP FP8 v1.0, LLM-FP4 eq. 2), written
// out here as literals and as the spec's own field formula, never from the code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "formats/element.hpp"

namespace mxlab {
namespace {

struct SpecRow { Elem e; int bias; bool has_ocp_nan; bool has_ieee_specials; };

// (-1)^S * 2^(E - bias) * (1 + M / 2^m) for E > 0; (-1)^S * 2^(1 - bias) * (M / 2^m) for E = 0.
double spec_fp_value(int ebits, int mbits, int bias, std::uint32_t code, bool is_signed) {
  const std::uint32_t m = code & ((1u << mbits) - 1), e = (code >> mbits) & ((1u << ebits) - 1);
  const bool neg = is_signed && ((code >> (ebits + mbits)) & 1);
  const double mag = e == 0 ? std::pow(2.0, 1 - bias) * (m / std::pow(2.0, mbits))
                            : std::pow(2.0, static_cast<int>(e) - bias) * (1 + m / std::pow(2.0, mbits));
  return neg ? -mag : mag;
}

TEST(ElementSpec, FpElementsMatchTheSpecFormulaForEveryEncoding) {
  const SpecRow rows[] = {{Elem::e4m3, 7, true, false}, {Elem::e5m2, 15, false, true}, {Elem::e3m2, 3, false, false},
                          {Elem::e2m3, 1, false, false}, {Elem::e2m1, 1, false, false}, {Elem::e1m2, 0, false, false},
                          {Elem::e3m0, 3, false, false}};
  for (const auto& r : rows) {
    const ElemSpec& s = elem_spec(r.e);
    for (std::uint32_t code = 0; code < (1u << s.bits); ++code) {
      const std::uint32_t mag = code & ((1u << (s.bits - 1)) - 1);
      const std::uint32_t all_e = ((1u << s.ebits) - 1) << s.mbits, all_m = (1u << s.mbits) - 1;
      const double got = decode_elem(r.e, code);
      if (r.has_ocp_nan && mag == (all_e | all_m)) { EXPECT_TRUE(std::isnan(got)) << s.name << " " << code; continue; }
      if (r.has_ieee_specials && (mag & all_e) == all_e) {
        if ((mag & all_m) == 0) EXPECT_EQ(got, (code >> 7) ? -INFINITY : INFINITY) << s.name << " " << code;
        else EXPECT_TRUE(std::isnan(got)) << s.name << " " << code;
        continue;
      }
      const double want = spec_fp_value(s.ebits, s.mbits, r.bias, code, true);
      EXPECT_EQ(got, want) << s.name << " code " << code;
      EXPECT_EQ(std::signbit(got), std::signbit(want)) << s.name << " code " << code;
    }
  }
}

TEST(ElementSpec, SpecTableLiterals) {
  // OCP FP8 v1.0 table 1 / OCP MX v1.0 table 2.
  EXPECT_EQ(decode_elem(Elem::e4m3, 0x7E), 448.0);
  EXPECT_EQ(decode_elem(Elem::e4m3, 0x08), std::ldexp(1.0, -6));       // min normal
  EXPECT_EQ(decode_elem(Elem::e4m3, 0x07), 0.875 * std::ldexp(1.0, -6));  // max subnormal
  EXPECT_EQ(decode_elem(Elem::e4m3, 0x01), std::ldexp(1.0, -9));       // min subnormal
  EXPECT_TRUE(std::isnan(decode_elem(Elem::e4m3, 0x7F)));
  EXPECT_TRUE(std::isnan(decode_elem(Elem::e4m3, 0xFF)));
  EXPECT_EQ(decode_elem(Elem::e4m3, 0x78), 256.0);  // S.1111.000 is a number in OCP E4M3
  EXPECT_TRUE(std::signbit(decode_elem(Elem::e4m3, 0x80)));
  EXPECT_EQ(decode_elem(Elem::e5m2, 0x7B), 57344.0);
  EXPECT_EQ(decode_elem(Elem::e5m2, 0x7C), INFINITY);
  EXPECT_EQ(decode_elem(Elem::e5m2, 0xFC), -INFINITY);
  for (std::uint32_t c : {0x7Du, 0x7Eu, 0x7Fu, 0xFDu, 0xFEu, 0xFFu}) EXPECT_TRUE(std::isnan(decode_elem(Elem::e5m2, c)));
  EXPECT_EQ(decode_elem(Elem::e5m2, 0x04), std::ldexp(1.0, -14));
  EXPECT_EQ(decode_elem(Elem::e5m2, 0x01), std::ldexp(1.0, -16));
  // OCP MX v1.0 table 3 (FP6).
  EXPECT_EQ(decode_elem(Elem::e3m2, 0x1F), 28.0);
  EXPECT_EQ(decode_elem(Elem::e3m2, 0x04), 0.25);
  EXPECT_EQ(decode_elem(Elem::e3m2, 0x03), 0.1875);
  EXPECT_EQ(decode_elem(Elem::e3m2, 0x01), 0.0625);
  EXPECT_EQ(decode_elem(Elem::e3m2, 0x3F), -28.0);
  EXPECT_EQ(decode_elem(Elem::e2m3, 0x1F), 7.5);
  EXPECT_EQ(decode_elem(Elem::e2m3, 0x08), 1.0);
  EXPECT_EQ(decode_elem(Elem::e2m3, 0x07), 0.875);
  EXPECT_EQ(decode_elem(Elem::e2m3, 0x01), 0.125);
  // OCP MX v1.0 table 4 (FP4 E2M1): the eight magnitudes.
  const double e2m1[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(decode_elem(Elem::e2m1, c), e2m1[c]);
    EXPECT_EQ(decode_elem(Elem::e2m1, c | 8), -e2m1[c]);
  }
  // FP4 E1M2 (bias 0) and E3M0 (bias 3): LLM-FP4's all-finite grids.
  const double e1m2[] = {0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5};
  const double e3m0[] = {0, 0.25, 0.5, 1, 2, 4, 8, 16};
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(decode_elem(Elem::e1m2, c), e1m2[c]);
    EXPECT_EQ(decode_elem(Elem::e3m0, c), e3m0[c]);
  }
  // E8M0: 2^(code - 127), 0xFF NaN, no zero.
  EXPECT_EQ(decode_elem(Elem::e8m0, 0x00), std::ldexp(1.0, -127));
  EXPECT_EQ(decode_elem(Elem::e8m0, 0x7F), 1.0);
  EXPECT_EQ(decode_elem(Elem::e8m0, 0xFE), std::ldexp(1.0, 127));
  EXPECT_TRUE(std::isnan(decode_elem(Elem::e8m0, 0xFF)));
  // UE4M3: unsigned E4M3, max 448, 0x7F NaN.
  EXPECT_EQ(decode_elem(Elem::ue4m3, 0x7E), 448.0);
  EXPECT_TRUE(std::isnan(decode_elem(Elem::ue4m3, 0x7F)));
  EXPECT_EQ(decode_elem(Elem::ue4m3, 0x01), std::ldexp(1.0, -9));
}

TEST(ElementSpec, E8m0EveryEncoding) {
  for (std::uint32_t c = 0; c < 255; ++c) EXPECT_EQ(decode_elem(Elem::e8m0, c), std::ldexp(1.0, static_cast<int>(c) - 127));
  for (int x = -127; x <= 127; ++x) EXPECT_EQ(encode_e8m0(x), x + 127);
  EXPECT_THROW(encode_e8m0(128), std::out_of_range);
  EXPECT_THROW(encode_e8m0(-128), std::out_of_range);
}

TEST(ElementSpec, IntegersAreTwosComplement) {
  const std::map<Elem, int> bits{{Elem::int2, 2}, {Elem::int3, 3}, {Elem::int4, 4}, {Elem::int6, 6}, {Elem::int8, 8}};
  for (auto [e, n] : bits)
    for (std::uint32_t c = 0; c < (1u << n); ++c) {
      const int want = c < (1u << (n - 1)) ? static_cast<int>(c) : static_cast<int>(c) - (1 << n);
      EXPECT_EQ(decode_elem(e, c), want) << elem_spec(e).name << " " << c;
    }
}

TEST(ElementSpec, TableFieldsAgreeWithTheSpec) {
  EXPECT_EQ(elem_spec(Elem::e4m3).max_normal, 448.0);
  EXPECT_EQ(elem_spec(Elem::e5m2).max_normal, 57344.0);
  EXPECT_EQ(elem_spec(Elem::e3m2).max_normal, 28.0);
  EXPECT_EQ(elem_spec(Elem::e2m3).max_normal, 7.5);
  EXPECT_EQ(elem_spec(Elem::e2m1).max_normal, 6.0);
  // Every FP element: emax = floor(log2(max_normal)), max_normal is the largest finite decoded value.
  for (const ElemSpec& s : elem_table()) {
    if (s.is_int || s.specials == Specials::e8m0) continue;
    EXPECT_EQ(s.emax, std::ilogb(s.max_normal)) << s.name;
    double mx = 0;
    for (std::uint32_t c = 0; c < (1u << s.bits); ++c) {
      const double v = decode_elem(s.id, c);
      if (std::isfinite(v)) mx = std::max(mx, v);
    }
    EXPECT_EQ(mx, s.max_normal) << s.name;
  }
}

}  // namespace
}  // namespace mxlab
