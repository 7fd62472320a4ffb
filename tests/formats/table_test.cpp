// The traits table: coherent rows, exact bits per weight, layouts equal to the plain block structs, errors.
#include <gtest/gtest.h>

#include <set>

#include "formats/packed.hpp"

namespace mxlab {
namespace {

TEST(FormatTable, RowsAreInEnumOrderWithUniqueNames) {
  std::set<std::string> names;
  int i = 0;
  for (const auto& t : format_table()) {
    EXPECT_EQ(static_cast<int>(t.id), i++);
    EXPECT_TRUE(names.insert(t.name).second) << t.name;
    EXPECT_EQ(&find_format(t.name), &t);
    EXPECT_NE(t.encode_scale_ref, nullptr);
    EXPECT_NE(t.encode_elements_ref, nullptr);
    EXPECT_NE(t.decode_block, nullptr);
    EXPECT_NE(t.fake_quant_fast, nullptr);
  }
  EXPECT_EQ(i, kFormatCount);
}

TEST(FormatTable, BitsPerWeightAreExact) {
  EXPECT_EQ(traits(Format::mxfp4_e2m1).bits_per_weight(), 4.25);
  EXPECT_EQ(traits(Format::mxfp6_e3m2).bits_per_weight(), 6.25);
  EXPECT_EQ(traits(Format::mxfp8_e4m3).bits_per_weight(), 8.25);
  EXPECT_EQ(traits(Format::mxint8).bits_per_weight(), 8.25);
  EXPECT_EQ(traits(Format::mxint2).bits_per_weight(), 2.25);
  EXPECT_EQ(traits(Format::nvfp4).bits_per_weight(), 4.5);
  EXPECT_EQ(traits(Format::int4).bits_per_weight(), 5.0);
  EXPECT_EQ(traits(Format::int4).bits_per_weight(128), 4.25);
  EXPECT_EQ(traits(Format::int4_asym).bits_per_weight(), 5.25);
  EXPECT_EQ(traits(Format::mxfp4_e2m1).bits_per_weight(16), 4.5);
  EXPECT_EQ(traits(Format::int3).bits_per_weight(128), 3.25);       // 3 + 32/128
  EXPECT_EQ(traits(Format::int3_asym).bits_per_weight(128), 3.3125);  // 3 + 40/128
  EXPECT_EQ(traits(Format::int3).block_bytes(32), 4u + 12u);
  EXPECT_EQ(traits(Format::int3_asym).block_bytes(5), 5u + 2u);  // 15 bits -> 2 bytes
}

TEST(FormatTable, PackedLayoutEqualsThePlainStructs) {
  EXPECT_EQ(traits(Format::mxfp8_e4m3).block_bytes(32), sizeof(MxFp8Block));
  EXPECT_EQ(traits(Format::mxfp8_e5m2).block_bytes(32), sizeof(MxFp8Block));
  EXPECT_EQ(traits(Format::mxint8).block_bytes(32), sizeof(MxFp8Block));
  EXPECT_EQ(traits(Format::mxfp6_e3m2).block_bytes(32), sizeof(MxFp6Block));
  EXPECT_EQ(traits(Format::mxint6).block_bytes(32), sizeof(MxFp6Block));
  EXPECT_EQ(traits(Format::mxfp4_e2m1).block_bytes(32), sizeof(MxFp4Block));
  EXPECT_EQ(traits(Format::mxint4).block_bytes(32), sizeof(MxFp4Block));
  EXPECT_EQ(traits(Format::mxint2).block_bytes(32), sizeof(MxInt2Block));
  EXPECT_EQ(traits(Format::nvfp4).block_bytes(16), sizeof(NvFp4Block));
  EXPECT_EQ(traits(Format::int4).block_bytes(32), sizeof(Int4GroupBlock));
  EXPECT_EQ(traits(Format::int4_asym).block_bytes(32), sizeof(Int4AsymBlock));
  for (const auto& t : format_table())  // bits per weight is the packed size, exactly
    EXPECT_EQ(t.bits_per_weight(64) * 64, 8.0 * t.block_bytes(64)) << t.name;
}

TEST(FormatTable, MaxValuesFromTheSpec) {
  EXPECT_EQ(traits(Format::mxfp8_e4m3).max_value(), 448.0);
  EXPECT_EQ(traits(Format::mxfp8_e5m2).max_value(), 57344.0);
  EXPECT_EQ(traits(Format::mxfp6_e3m2).max_value(), 28.0);
  EXPECT_EQ(traits(Format::mxfp6_e2m3).max_value(), 7.5);
  EXPECT_EQ(traits(Format::mxfp4_e2m1).max_value(), 6.0);
  EXPECT_EQ(traits(Format::mxint8).max_value(), 127.0 / 64);
  EXPECT_EQ(traits(Format::mxint6).max_value(), 31.0 / 16);
  EXPECT_EQ(traits(Format::mxint4).max_value(), 7.0 / 4);
  EXPECT_EQ(traits(Format::mxint2).max_value(), 1.0);
  for (const auto& t : format_table()) {
    if (t.family == Family::mx) {
      EXPECT_EQ(t.scale_emax(), t.element().is_int ? 0 : t.element().emax) << t.name;
    }
  }
}

// Every row's defining parameters as literals from the specs (OCP MX v1.0 table 1; NVFP4; GPTQ; LLM-FP4).
TEST(FormatTable, RowParametersFromTheSpecs) {
  struct Row { const char* name; Family family; Elem elem; int block; ScaleType scale; int frac_bits; };
  const Row rows[] = {
      {"mxfp8_e4m3", Family::mx, Elem::e4m3, 32, ScaleType::e8m0, 0}, {"mxfp8_e5m2", Family::mx, Elem::e5m2, 32, ScaleType::e8m0, 0},
      {"mxfp6_e3m2", Family::mx, Elem::e3m2, 32, ScaleType::e8m0, 0}, {"mxfp6_e2m3", Family::mx, Elem::e2m3, 32, ScaleType::e8m0, 0},
      {"mxfp4_e2m1", Family::mx, Elem::e2m1, 32, ScaleType::e8m0, 0}, {"mxint8", Family::mx, Elem::int8, 32, ScaleType::e8m0, 6},
      {"mxint6", Family::mx, Elem::int6, 32, ScaleType::e8m0, 4},     {"mxint4", Family::mx, Elem::int4, 32, ScaleType::e8m0, 2},
      {"mxint2", Family::mx, Elem::int2, 32, ScaleType::e8m0, 0},     {"nvfp4", Family::nvfp4, Elem::e2m1, 16, ScaleType::ue4m3, 0},
      {"int4", Family::int_group, Elem::int4, 32, ScaleType::fp32, 0},
      {"int4_asym", Family::int_asym, Elem::int4, 32, ScaleType::fp32_zero, 0},
      {"int3", Family::int_group, Elem::int3, 32, ScaleType::fp32, 0},
      {"int3_asym", Family::int_asym, Elem::int3, 32, ScaleType::fp32_zero, 0},
      {"fp4_e1m2", Family::fp_group, Elem::e1m2, 32, ScaleType::fp32, 0},
      {"fp4_e3m0", Family::fp_group, Elem::e3m0, 32, ScaleType::fp32, 0},
  };
  for (const Row& r : rows) {
    const FormatTraits& t = find_format(r.name);
    EXPECT_EQ(t.family, r.family) << r.name;
    EXPECT_EQ(t.elem, r.elem) << r.name;
    EXPECT_EQ(t.default_block, r.block) << r.name;
    EXPECT_EQ(t.scale, r.scale) << r.name;
    EXPECT_EQ(t.frac_bits, r.frac_bits) << r.name;
  }
}

TEST(FormatTable, ClearErrors) {
  try {
    find_format("mxfp5");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mxfp5"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("mxint8"), std::string::npos);  // lists the known names
  }
  EXPECT_THROW(parse_round("up"), std::invalid_argument);
  EXPECT_EQ(parse_round("stochastic"), Round::stochastic);
  EXPECT_THROW(resolve_block(traits(Format::mxint8), {.block = -1}), std::invalid_argument);
  EXPECT_THROW(resolve_block(traits(Format::mxint8), {.tensor_scale = true}), std::invalid_argument);
  EXPECT_EQ(resolve_block(traits(Format::nvfp4), {}), 16);
  std::vector<float> a(4), b(5);
  EXPECT_THROW(fake_quantize(Format::mxint8, a, b), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab
