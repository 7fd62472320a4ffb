// rtl/cost/ and `mxlab cost`: content hash, memory constants, unit/format resolution, real and random vectors in the
// units' port encodings, int2_mac end to end (synthesis, gate-level energy, cache hits and misses), CLI errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rtl/cost/cost.hpp"
#include "rtl/cost/hash.hpp"
#include "rtl/cost/memory.hpp"
#include "rtl/cost/model_operands.hpp"
#include "rtl/models/int_reference.hpp"

namespace mxlab::cost {
namespace {
namespace fs = std::filesystem;

TEST(CostHash, StableAndSensitive) {
  EXPECT_EQ(ContentHash().add("abc").hex(), ContentHash().add("abc").hex());
  EXPECT_NE(ContentHash().add("abc").hex(), ContentHash().add("abd").hex());
  EXPECT_NE(ContentHash().add("ab").add("c").hex(), ContentHash().add("a").add("bc").hex());
  EXPECT_EQ(ContentHash().add("abc").hex().size(), 32u);
}

// Horowitz ISSCC 2014 (45 nm, 0.9 V) read back at the source node, and the scaling rule by hand.
TEST(CostMemory, HorowitzFiguresAndScaling) {
  EXPECT_DOUBLE_EQ(sram_pj_per_byte(8 * 1024, 45, 0.9), 10.0 / 8);
  EXPECT_NEAR(sram_pj_per_byte(32 * 1024, 45, 0.9), 20.0 / 8, 1e-12);
  EXPECT_DOUBLE_EQ(sram_pj_per_byte(1 << 20, 45, 0.9), 100.0 / 8);
  EXPECT_NEAR(sram_pj_per_byte(16 * 1024, 45, 0.9), std::sqrt(10.0 * 20.0) / 8, 1e-12);  // log-log midpoint
  EXPECT_NEAR(scale_energy(1.0, 130, 1.8), 130.0 / 45 * 4, 1e-12);
  EXPECT_DOUBLE_EQ(dram_pj_per_byte(), 1950.0 / 8);
  EXPECT_NEAR(sram_um2_per_kib(65), 110e6 / 8960, 1e-6);
  EXPECT_NEAR(sram_um2_per_kib(130), 4 * 110e6 / 8960, 1e-6);
}

TEST(CostFormats, UnitFormatsFollowTheCatalog) {
  auto names = [](const std::string& unit) {
    std::string s;
    for (const UnitFormat& f : unit_formats(rtl::unit_config(unit)))
      s += (s.empty() ? "" : ",") + f.name + (f.weights_on_a ? "/A:" : "/B:") + (f.in_table ? traits(f.act).name : "-");
    return s;
  };
  EXPECT_EQ(names("mxfp4_dot"), "mxfp4_e2m1/B:mxfp4_e2m1");
  EXPECT_EQ(names("nvfp4_dot"), "nvfp4/B:nvfp4");
  EXPECT_EQ(names("int4x8_group_dot"), "int4/A:int8");
  EXPECT_EQ(names("int4x8_asym_dot"), "int4_asym/A:int8_asym");
  EXPECT_EQ(names("fp4v_mac"), "mxfp4_e2m1/A:mxfp8_e4m3");
  EXPECT_EQ(names("int2_mac"), "int2/B:int2");
  // VQ units: the table's VQ rows of their D and K = 2^IDX_BITS, x the INT MACs' int8; no row fits D=4, K=256
  EXPECT_EQ(names("vq_mac"), "vq2_d2/A:int8");
  EXPECT_EQ(names("vq_mac_d3"), "vq2_d2/A:int8");
  EXPECT_EQ(names("vq_mac_d1k16"), "vq4_d1/A:int8");
  EXPECT_EQ(names("vq_mac_d4k256"), "vq/B:-");
  for (const char* f : {"vq2_d1", "vq3_d1", "vq3_d2"})
    for (const std::string& u : rtl::unit_names()) EXPECT_THROW(unit_format(rtl::unit_config(u), f), std::invalid_argument) << u << " " << f;
  EXPECT_EQ(unit_formats(rtl::unit_config("mx_dot_any")).size(), 9u);
  EXPECT_DOUBLE_EQ(unit_format(rtl::unit_config("vq_mac"), "vq2_d2").bits_per_weight(), 2.125);  // codebook included
  EXPECT_DOUBLE_EQ(unit_format(rtl::unit_config("vq_mac_d1k16"), "vq4_d1").bits_per_weight(), 4.125);
  EXPECT_EQ(unit_format(rtl::unit_config("vq_mac"), "vq2_d2").macs_per_vector(), 16);  // 8 indices x D = 2
  EXPECT_NEAR(unit_format(rtl::unit_config("vq_mac_d4k256"), "vq").bits_per_weight(), 2.0, 0);
  try {
    unit_format(rtl::unit_config("int2_mac"), "nvfp4");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("int2"), std::string::npos) << e.what();
  }
}

// Real int2_mac vectors carry exactly the int2 codes of the quantized operands, in the int golden-line encoding.
TEST(CostVectors, RealIntVectorsAreTheQuantizedCodes) {
  const Operands op = stories260k_operands(MXLAB_COST_DATA_DIR, 4);
  ASSERT_EQ(op.k, 64);
  const UnitFormat uf = unit_format(rtl::unit_config("int2_mac"), "int2");
  const auto v = unit_vectors(uf, OperandKind::model, &op, 16, 1);
  ASSERT_EQ(v.size(), 16u);
  const PackedTensor w0 = encode_ref(Format::int2, {op.weight.data(), 64}),
                     x0 = encode_ref(Format::int2, {op.activation.data(), 64});
  const int sbytes = traits(Format::int2).scale_bits() / 8;
  for (int step = 0; step < 8; ++step) {  // output (token 0, channel 0): 64 / 8 lanes
    const auto& p = v[step];
    EXPECT_EQ(p.at("in_clear"), step == 0 ? "1" : "0");
    const rtl::IntStep s = rtl::parse_int_golden_line(p.at("in_clear") + " " + p.at("in_a") + " " + p.at("in_b") + " 0", 8);
    for (int l = 0; l < 8; ++l) {
      const std::size_t i = step * 8 + l;
      EXPECT_EQ(s.a[l], get_code(&x0.bytes[(i / 32) * traits(Format::int2).block_bytes(32) + sbytes], 2, i % 32));
      EXPECT_EQ(s.b[l], get_code(&w0.bytes[(i / 32) * traits(Format::int2).block_bytes(32) + sbytes], 2, i % 32));
    }
  }
  EXPECT_THROW(unit_vectors(uf, OperandKind::model, &op, 1u << 20, 1), std::invalid_argument);
  // random: the same seed gives the same vectors, another seed others
  EXPECT_EQ(unit_vectors(uf, OperandKind::random, nullptr, 32, 7), unit_vectors(uf, OperandKind::random, nullptr, 32, 7));
  EXPECT_NE(unit_vectors(uf, OperandKind::random, nullptr, 32, 7), unit_vectors(uf, OperandKind::random, nullptr, 32, 8));
}

// Real vq_mac vectors: the codebook the unit holds when a vector arrives (rebuilt from the cb_* write ports) and the
// vector's indices give exactly the INT8 entries of encode_ref(vq2_d2) of the weight row, the activations exactly the
// int8 codes of the token row; order channel, token, K; each channel's codebook written (16 writes) before its vectors.
TEST(CostVectors, RealVqVectorsAreTheReferenceCodebooksAndIndices) {
  const int tokens = 4;
  const Operands op = stories260k_operands(MXLAB_COST_DATA_DIR, tokens);
  const UnitFormat uf = unit_format(rtl::unit_config("vq_mac"), "vq2_d2");
  const auto v = unit_vectors(uf, OperandKind::model, &op, 32, 1);
  const FormatTraits &tw = traits(Format::vq2_d2), &tx = traits(Format::int8);
  std::vector<std::vector<std::int8_t>> cb(16);
  std::size_t vectors = 0, writes = 0;
  for (const auto& p : v) {
    if (p.at("cb_we") == "1") {
      const rtl::VqStep w = rtl::parse_vq_golden_line("W " + p.at("cb_addr") + " " + p.at("cb_data"), 8, 2, 4);
      cb.at(w.addr) = w.cw;
      ++writes;
      continue;
    }
    ASSERT_EQ(writes, 16 * (vectors / (tokens * 4) + 1)) << "the channel's codebook is loaded before its vectors";
    const rtl::VqStep s = rtl::parse_vq_golden_line(
        "V " + p.at("in_clear") + " " + p.at("in_idx") + " " + p.at("in_x") + " 0", 8, 2, 4);
    const std::size_t c = vectors / (tokens * 4), t = vectors / 4 % tokens, i0 = vectors % 4 * 16;
    EXPECT_EQ(s.clear, i0 == 0);
    const PackedTensor w = encode_ref(Format::vq2_d2, {op.weight.data() + c * 64, 64}),
                       x = encode_ref(Format::int8, {op.activation.data() + t * 64, 64});
    for (int j = 0; j < 16; ++j) {
      const std::size_t i = i0 + j;
      ASSERT_EQ(cb.at(s.idx.at(j / 2)).size(), 2u);
      EXPECT_EQ(cb[s.idx[j / 2]][j % 2], static_cast<std::int8_t>(tw.lane_code(w.bytes.data(), i))) << c << " " << t << " " << i;
      EXPECT_EQ(s.x.at(j), static_cast<std::int8_t>(tx.lane_code(&x.bytes[i / 32 * tx.block_bytes(32)], i % 32))) << i;
    }
    ++vectors;
  }
  EXPECT_EQ(vectors, 32u);
  EXPECT_EQ(writes, 32u);  // channels 0 and 1
  EXPECT_EQ(unit_vectors(unit_format(rtl::unit_config("vq_mac_d1k16"), "vq4_d1"), OperandKind::model, &op, 8, 1).size(),
            16u + 8u);
  EXPECT_THROW(unit_vectors(uf, OperandKind::model, &op, 1u << 20, 1), std::invalid_argument);
  EXPECT_THROW(unit_vectors(unit_format(rtl::unit_config("vq_mac_d4k256"), "vq"), OperandKind::model, &op, 8, 1),
               std::invalid_argument);
}

// int2_mac end to end: positive energy, real != random, a rerun served from the cache with identical numbers, a fresh
// cache reproducing them bit for bit, and a changed clock or liberty missing the cache.
TEST(CostEndToEnd, Int2MacEnergyAndCache) {
  const fs::path dir = fs::path(MXLAB_COST_WORK_DIR) / "int2";
  fs::remove_all(dir);
  const Operands op = stories260k_operands(MXLAB_COST_DATA_DIR);
  CostOptions o;
  o.units = {"int2_mac"}, o.vectors = 128, o.real = &op, o.cache_dir = (dir / "a").string();
  const std::vector<CostRow> first = run_cost(o);
  ASSERT_EQ(first.size(), 1u);
  const CostRow& r = first[0];
  EXPECT_FALSE(r.synth_cached);
  EXPECT_GT(r.area_um2, 0);
  EXPECT_GT(r.cells, 0);
  EXPECT_GT(r.fmax_mhz, 0);
  EXPECT_NEAR(r.nand2_eq, r.area_um2 / 3.7536, 1e-9);  // sky130_fd_sc_hd__nand2_1 area
  EXPECT_EQ(r.macs_per_cycle, 8);
  EXPECT_EQ(r.model.cycles, 128);
  EXPECT_GT(r.model.pj_per_mac(), 0);
  EXPECT_GT(r.random.pj_per_mac(), 0);
  EXPECT_GT(r.model.switching_pj, 0);
  EXPECT_GT(r.model.internal_pj, 0);
  EXPECT_GT(r.model.leakage_pj, 0);
  EXPECT_NE(r.model.pj_per_mac(), r.random.pj_per_mac());
  EXPECT_GT(r.vectorless_pj_per_mac, 0);
  std::printf("[cost] int2_mac: %.0f um^2, %.1f MHz, model %.5f, random %.5f, vectorless %.5f pJ/MAC\n", r.area_um2,
              r.fmax_mhz, r.model.pj_per_mac(), r.random.pj_per_mac(), r.vectorless_pj_per_mac);

  const CostRow again = run_cost(o).at(0);
  EXPECT_TRUE(again.synth_cached);
  EXPECT_TRUE(again.model.cached);
  EXPECT_TRUE(again.random.cached);
  EXPECT_EQ(cost_json({again}).find("\"cached\": false"), std::string::npos);
  EXPECT_EQ(again.model.pj_per_mac(), r.model.pj_per_mac());
  EXPECT_EQ(again.random.pj_per_mac(), r.random.pj_per_mac());
  EXPECT_EQ(again.area_um2, r.area_um2);

  CostOptions fresh = o;
  fresh.cache_dir = (dir / "b").string();
  const CostRow rerun = run_cost(fresh).at(0);
  EXPECT_FALSE(rerun.synth_cached);
  EXPECT_EQ(rerun.synth_key, r.synth_key);
  EXPECT_EQ(rerun.model.pj_per_mac(), r.model.pj_per_mac());  // reproducible run to run
  EXPECT_EQ(rerun.random.pj_per_mac(), r.random.pj_per_mac());
  EXPECT_EQ(rerun.area_um2, r.area_um2);

  CostOptions clock = o;
  clock.clock_ns = 12.5;
  clock.random = false;
  const CostRow slow = run_cost(clock).at(0);
  EXPECT_FALSE(slow.synth_cached);
  EXPECT_FALSE(slow.model.cached);
  EXPECT_NE(slow.synth_key, r.synth_key);
  EXPECT_EQ(slow.area_um2, r.area_um2);  // the same mapping, a longer period
  EXPECT_GT(slow.model.leakage_pj, r.model.leakage_pj);

  // the liberty's content (not its name) is in the key: a copy with one comment more misses
  const fs::path lib = dir / "edited.lib";
  {
    std::ifstream in(build_flow().default_liberty);
    std::ofstream out(lib);
    out << "/* edited copy */\n" << in.rdbuf();
  }
  CostOptions edited = o;
  edited.liberty = lib.string();
  edited.random = false;
  const CostRow e = run_cost(edited).at(0);
  EXPECT_FALSE(e.synth_cached);
  EXPECT_NE(e.synth_key, r.synth_key);
  EXPECT_EQ(e.model.pj_per_mac(), r.model.pj_per_mac());  // same cells, same numbers
}

int cli(const std::string& args, std::string& err) {
  const fs::path f = fs::path(MXLAB_COST_WORK_DIR) / "cli_err.txt";
  fs::create_directories(f.parent_path());
  const int rc = std::system((std::string(MXLAB_COST_CLI) + " cost " + args + " > /dev/null 2> " + f.string()).c_str());
  std::ifstream in(f);
  std::stringstream ss;
  ss << in.rdbuf();
  err = ss.str();
  return rc;
}

TEST(CostCli, BadNamesAreOneLineErrors) {
  const std::string cache = "--cache-dir " + (fs::path(MXLAB_COST_WORK_DIR) / "cli").string();
  struct Case {
    std::string args, want;
  } cases[] = {{"--units no_such_unit --operands random", "no_such_unit"},
               {"--units int2_mac --formats no_such_format --operands random", "no_such_format"},
               {"--units int2_mac --formats nvfp4 --operands random", "int2_mac"},
               {"--units int2_mac --operands sometimes", "--operands"},
               {"--units int2_mac --operands random --depth 7", "--depth"},
               {"--units int2_mac --operands random --liberty /no/such.lib", "/no/such.lib"},
               {"--units int2_mac --operands random --vectors 0", "--vectors"}};
  for (const Case& c : cases) {
    std::string err;
    EXPECT_NE(cli(c.args + " " + cache, err), 0) << c.args;
    EXPECT_NE(err.find(c.want), std::string::npos) << c.args << ": " << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << c.args << ": " << err;
    EXPECT_EQ(err.find("[cost]"), std::string::npos) << "no work before the names are checked: " << err;
  }
}

}  // namespace
}  // namespace mxlab::cost
