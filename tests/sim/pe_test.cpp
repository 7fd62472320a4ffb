// The C++ PE and the functional PE array: GEMMs bit-identical to formats/exact_gemm.hpp (the runtime's `--gemm
// exact`) in several formats, W mxint4 x A mxint8 and a non-FP32 accumulator included; cycles and the edge of every
// output equal to the timing contract's closed form (sim/pe/pe.hpp); the one-PE handshake against the independent
// reference under output stalls; configuration errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "pe_testbench.hpp"

namespace mxlab::sim {
namespace {

struct GemmCase {
  const char* name;
  Format w, a;
  int m, k, n, rows, cols;
  const char* acc = "fp32";
  const char* unit = "";      // a catalog unit's configuration, else PeConfig::for_formats
  bool tensor_scale = false;  // nvfp4 per-tensor scales (the unit's TSCALE epilogue applies them)
};

void PrintTo(const GemmCase& c, std::ostream* os) { *os << c.name; }

class PeArrayGemm : public ::testing::TestWithParam<GemmCase> {};

void expect_same_floats(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (!(std::isnan(got[i]) && std::isnan(want[i])) &&
        std::bit_cast<std::uint32_t>(got[i]) != std::bit_cast<std::uint32_t>(want[i]))
      if (++bad <= 5) ADD_FAILURE() << what << " output " << i << ": " << got[i] << " vs exact_gemm " << want[i];
  EXPECT_EQ(bad, 0u) << what;
}

TEST_P(PeArrayGemm, BitIdenticalToExactGemmInClosedFormCycles) {
  const GemmCase& c = GetParam();
  const AccFormat acc = AccFormat::parse(c.acc);
  const test::Operand a = test::make_operand(c.a, c.m, c.k, 11, c.tensor_scale),
                     w = test::make_operand(c.w, c.n, c.k, 12, c.tensor_scale);
  std::vector<float> want(static_cast<std::size_t>(c.m) * c.n);
  exact_gemm(a.exact, w.exact, acc, want);
  const PeConfig cfg = *c.unit ? PeConfig::from_unit(c.unit) : PeConfig::for_formats(c.w, c.a, acc);
  const ArrayRun r = run_gemm(c.rows, c.cols, cfg, make_cpp_pe, a.rows, w.rows);
  expect_same_floats(r.out, want, c.name);
  EXPECT_GT(std::count_if(want.begin(), want.end(), [](float x) { return std::isfinite(x) && x != 0.0f; }),
            static_cast<std::ptrdiff_t>(want.size() / 2)) << "a GEMM of mostly finite nonzero outputs";
  const std::uint64_t kb = (c.k + cfg.lanes - 1) / cfg.lanes, tiles_n = (c.n + c.cols - 1) / c.cols;
  EXPECT_EQ(r.blocks, kb);
  EXPECT_EQ(r.tiles, (c.m + c.rows - 1) / c.rows * tiles_n);
  EXPECT_EQ(r.cycles, array_cycles(cfg, r.tiles, kb));
  EXPECT_EQ(r.cycles, r.tiles * kb + cfg.depth + 2 + (cfg.tensor_scale ? 1 : 0));
  for (int i = 0; i < c.m; ++i)  // tile t's outputs are taken at edge (t + 1) Kb - 1 + L
    for (int j = 0; j < c.n; ++j) {
      const std::uint64_t t = (i / c.rows) * tiles_n + j / c.cols;
      ASSERT_EQ(r.taken_edge[i * c.n + j], (t + 1) * kb - 1 + cfg.latency()) << "output " << i << "," << j;
    }
  std::printf("[pe array] %s: %dx%dx%d on %dx%d, %llu tiles x %llu blocks, %llu cycles\n", c.name, c.m, c.k, c.n,
              c.rows, c.cols, static_cast<unsigned long long>(r.tiles), static_cast<unsigned long long>(kb),
              static_cast<unsigned long long>(r.cycles));
}

INSTANTIATE_TEST_SUITE_P(
    Formats, PeArrayGemm,
    ::testing::Values(GemmCase{"mxint8_8x64x8", Format::mxint8, Format::mxint8, 8, 64, 8, 4, 4},
                      GemmCase{"mxint8_ragged_k_8x80x6", Format::mxint8, Format::mxint8, 8, 80, 6, 4, 4},
                      GemmCase{"mxint8_16x256x16", Format::mxint8, Format::mxint8, 16, 256, 16, 4, 4},
                      GemmCase{"mxfp4_16x256x16", Format::mxfp4_e2m1, Format::mxfp4_e2m1, 16, 256, 16, 8, 4},
                      GemmCase{"nvfp4_12x128x10", Format::nvfp4, Format::nvfp4, 12, 128, 10, 4, 4},
                      GemmCase{"mxfp8_e4m3_8x96x12", Format::mxfp8_e4m3, Format::mxfp8_e4m3, 8, 96, 12, 3, 5},
                      GemmCase{"w_mxint4_a_mxint8_16x128x16", Format::mxint4, Format::mxint8, 16, 128, 16, 4, 4},
                      GemmCase{"w_int4_a_int8_8x64x8", Format::int4, Format::int8, 8, 64, 8, 2, 8},
                      GemmCase{"mxfp4_bf16_acc_8x256x8", Format::mxfp4_e2m1, Format::mxfp4_e2m1, 8, 256, 8, 4, 4,
                               "bf16"},
                      GemmCase{"nvfp4_tensor_scale_16x128x8", Format::nvfp4, Format::nvfp4, 16, 128, 8, 4, 4, "fp32",
                               "nvfp4_ts_dot", true},
                      GemmCase{"mxfp4_depth3_8x128x8", Format::mxfp4_e2m1, Format::mxfp4_e2m1, 8, 128, 8, 4, 2, "fp32",
                               "mxfp4_dot_d3"}),
    [](const auto& info) { return std::string(info.param.name); });

// One PE against the independent reference (rtl/models/oracle_reference.hpp via tests/rtl/reference_check.hpp):
// random and adversarial block pairs (NaN, Inf, overflow, underflow) with 30% output stalls; no result lost or
// reordered, each taken no earlier than L edges after its acceptance, and exactly L without stalls.
TEST(Pe, StreamMatchesReferenceUnderStalls) {
  for (const char* unit : {"mxint8_dot", "nvfp4_dot_d3", "nvfp4_ts_dot"}) {
    const std::vector<rtl::BlockVector> v = test::reference_stream(unit, 400, 7);
    const PeConfig cfg = PeConfig::from_unit(unit);
    for (const double stall : {0.0, 0.3}) {
      const test::PeLog log = test::stream_pe(make_cpp_pe, cfg, v, stall, 3);
      ASSERT_EQ(log.taken.size(), v.size()) << unit;
      ASSERT_EQ(log.accepted.size(), v.size()) << unit;
      for (std::size_t i = 0; i < v.size(); ++i) {
        ASSERT_EQ(log.taken[i].acc, v[i].acc) << unit << " block " << i;
        ASSERT_EQ(log.taken[i].flags, v[i].flags) << unit << " block " << i;
        const std::uint64_t lat = log.taken[i].edge - log.accepted[i];
        if (stall == 0.0) {
          ASSERT_EQ(lat, static_cast<std::uint64_t>(cfg.latency())) << unit << " block " << i;
        }
        ASSERT_GE(lat, static_cast<std::uint64_t>(cfg.latency())) << unit << " block " << i;
        if (stall == 0.0 && i > 0) {
          ASSERT_EQ(log.accepted[i], log.accepted[i - 1] + 1) << "one block per cycle";
        }
      }
    }
  }
}

TEST(Pe, ConfigurationErrorsNameTheProblem) {
  EXPECT_THROW(PeConfig::for_formats(Format::nvfp4, Format::mxint8), std::invalid_argument);
  EXPECT_THROW(PeConfig::from_unit("int_mac"), std::invalid_argument);
  EXPECT_THROW(PeConfig::from_unit("no_such_unit"), std::invalid_argument);
  const test::Operand a = test::make_operand(Format::mxfp4_e2m1, 4, 64, 1);
  const test::Operand w = test::make_operand(Format::mxint8, 4, 64, 2);
  try {
    run_gemm(2, 2, PeConfig::from_unit("mxint8_dot"), make_cpp_pe, a.rows, w.rows);
    ADD_FAILURE() << "mxfp4 activations on an mxint8 unit were accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mxint8_dot"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run_gemm(0, 2, PeConfig::from_unit("mxint8_dot"), make_cpp_pe, w.rows, w.rows), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab::sim
