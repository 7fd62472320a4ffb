// RTL in the loop: the Verilated SystemC block dot units as PEs (sim/pe/rtl_pe.hpp). Per unit: the same GEMM on an
// array of RTL PEs and of C++ PEs gives identical outputs, every intermediate result, identical output edges and
// cycle counts, equal to formats/exact_gemm.hpp and to the timing contract's closed form; one RTL PE streams random
// and adversarial block pairs under output stalls exactly as the C++ PE does (same results, same edges), and as the
// independent reference expects.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "pe_testbench.hpp"
#include "sim/pe/rtl_pe.hpp"

namespace mxlab::sim {
namespace {

Format unit_format(const std::string& unit) {  // the table format whose element and scale the unit takes
  const rtl::UnitConfig& u = rtl::unit_config(unit);
  for (const FormatTraits& t : format_table())
    if (t.elem == u.stim.elems_a.front() && t.scale == u.stim.scale && t.default_block == u.stim.n) return t.id;
  throw std::invalid_argument("no format for unit " + unit);
}

class RtlPe : public ::testing::TestWithParam<std::string> {};

TEST_P(RtlPe, GemmArrayEqualsCppArrayAndExactGemm) {
  const std::string unit = GetParam();
  const Format f = unit_format(unit);
  const int m = 16, k = 256, n = 16, rows = 4, cols = 4;
  const test::Operand a = test::make_operand(f, m, k, 21), w = test::make_operand(f, n, k, 22);
  const PeConfig cfg = PeConfig::from_unit(unit);
  const ArrayRun rtl = run_gemm(rows, cols, cfg, make_rtl_pe, a.rows, w.rows);
  const ArrayRun cpp = run_gemm(rows, cols, cfg, make_cpp_pe, a.rows, w.rows);
  std::vector<float> want(static_cast<std::size_t>(m) * n);
  exact_gemm(a.exact, w.exact, AccFormat{}, want);
  EXPECT_EQ(rtl.acc, cpp.acc);
  EXPECT_EQ(rtl.flags, cpp.flags);
  EXPECT_EQ(rtl.trace, cpp.trace) << "every intermediate accumulator and flag of every PE";
  EXPECT_EQ(rtl.taken_edge, cpp.taken_edge);
  EXPECT_EQ(rtl.cycles, cpp.cycles);
  EXPECT_EQ(rtl.cycles, array_cycles(cfg, rtl.tiles, rtl.blocks));
  EXPECT_EQ(rtl.trace.size(), static_cast<std::size_t>(rows * cols) * rtl.tiles * rtl.blocks);
  for (std::size_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(std::bit_cast<std::uint32_t>(rtl.out[i]), std::bit_cast<std::uint32_t>(want[i]))
        << unit << " output " << i << ": " << rtl.out[i] << " vs exact_gemm " << want[i];
  std::printf("[rtl pe] %s (%s, DEPTH %d): %dx%dx%d on %dx%d RTL PEs: %llu cycles = closed form, C++ PE array "
              "identical (%zu results)\n",
              unit.c_str(), traits(f).name, cfg.depth, m, k, n, rows, cols,
              static_cast<unsigned long long>(rtl.cycles), rtl.trace.size());
}

TEST_P(RtlPe, StreamUnderStallsEqualsCppPe) {
  const std::string unit = GetParam();
  const std::vector<rtl::BlockVector> v = test::reference_stream(unit, 300, 9);
  const PeConfig cfg = PeConfig::from_unit(unit);
  for (const double stall : {0.0, 0.3}) {
    const test::PeLog rtl = test::stream_pe(make_rtl_pe, cfg, v, stall, 4);
    const test::PeLog cpp = test::stream_pe(make_cpp_pe, cfg, v, stall, 4);
    ASSERT_EQ(rtl.taken.size(), v.size()) << unit;
    EXPECT_EQ(rtl.accepted, cpp.accepted) << unit << " stall " << stall;
    EXPECT_TRUE(rtl.taken == cpp.taken) << unit << " stall " << stall;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < v.size(); ++i) bad += rtl.taken[i].acc != v[i].acc || rtl.taken[i].flags != v[i].flags;
    EXPECT_EQ(bad, 0u) << unit << ": RTL PE vs reference";
  }
}

INSTANTIATE_TEST_SUITE_P(Units, RtlPe, ::testing::ValuesIn(rtl_pe_units()),
                         [](const auto& info) { return info.param; });

TEST(RtlPeFactory, RejectsUnitsNotVerilatedAndMismatchedConfigs) {
  EXPECT_THROW(make_rtl_pe("x", PeConfig::from_unit("mx_dot_any")), std::invalid_argument);
  PeConfig c = PeConfig::from_unit("mxint8_dot");
  c.depth = 2;
  EXPECT_THROW(make_rtl_pe("x", c), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab::sim
