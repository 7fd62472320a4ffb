// The accelerator model (sim/): architecture errors name file, line and key; decoder-layer shapes; fold cycles equal
// the closed form (and SCALE-Sim's 2 S_R + S_C + T - 2 at LAT = 1); the roofline within 5 % where a GEMM is
// compute- or memory-bound; stalls by cause; the transaction-level OS cycles equal the functional PE array's.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/functional.hpp"

namespace mxlab::sim {
namespace {

// A small architecture: rows x cols, dataflow, with SRAM and DRAM figures substituted into the TOML text.
std::string arch_text(int rows, int cols, const char* dataflow, const char* sram = "kib = 4096\nbanks = 64\nbytes_per_cycle = 64",
                      const char* dram = "bytes_per_cycle = 1000000\nlatency_cycles = 0\nburst_bytes = 64") {
  std::string s = "[array]\nrows = " + std::to_string(rows) + "\ncols = " + std::to_string(cols) + "\ndataflow = \"" +
                  dataflow + "\"\nclock_mhz = 1000\n";
  for (const char* b : {"weight", "activation", "output"}) s += std::string("[sram.") + b + "]\n" + sram + "\n";
  return s + "[dram]\n" + dram + "\n";
}

std::string arch_error(const std::string& text) {
  try {
    parse_arch(text, "bad.toml");
  } catch (const ArchError& e) {
    return e.what();
  }
  return "no error";
}

TEST(SimArch, ShippedArchitecturesLoad) {
  for (const char* n : {"array32", "array128"}) {
    const ArchConfig a = load_arch(shipped_arch(n));
    EXPECT_EQ(a.rows, a.cols) << n;
    EXPECT_EQ(a.dataflow, Dataflow::weight_stationary);
    EXPECT_GT(a.dram.bytes_per_cycle, 100) << n;
  }
  EXPECT_DOUBLE_EQ(load_arch(shipped_arch("array32")).dram.bytes_per_cycle, 102.4);  // 102.4 GB/s at 1 GHz
}

TEST(SimArch, ErrorsNameFileLineAndKey) {
  std::string t = arch_text(4, 4, "weight_stationary");
  EXPECT_EQ(arch_error(std::string(t).replace(t.find("rows = 4"), 8, "rows = 0")),
            "bad.toml:2:8: array.rows: must be >= 1 (got 0)");
  EXPECT_EQ(arch_error(std::string(t).replace(t.find("weight_stationary"), 17, "row_stationary")),
            "bad.toml:4:12: array.dataflow: unknown dataflow 'row_stationary' (known: weight_stationary, output_stationary)");
  const std::string banks = arch_error(std::string(t).replace(t.find("banks = 64"), 10, "banks = \"x\""));
  EXPECT_NE(banks.find("bad.toml:8:"), std::string::npos) << banks;
  EXPECT_NE(banks.find("sram.weight.banks: must be an integer"), std::string::npos) << banks;
  EXPECT_NE(arch_error(t + "[pe]\nunits = \"x\"\n").find("pe.units: unknown key (known here: unit)"), std::string::npos);
  EXPECT_NE(arch_error(t.substr(0, t.find("[dram]"))).find(": dram: missing table [dram]"), std::string::npos);
  EXPECT_NE(arch_error(t + "[formats]\nweights = \"mxint9\"\n").find("formats.weights: unknown format"), std::string::npos);
}

TEST(SimWorkload, DecoderLayerShapes) {
  WorkloadOptions o;
  o.seq = 2048;
  const std::vector<Gemm> g = decoder_layer(named_shape("7b"), o);
  ASSERT_EQ(g.size(), 9u);
  EXPECT_EQ(g[0].name, "wq");
  EXPECT_EQ(g[0].m * g[0].n * g[0].k, 2048LL * 4096 * 4096);
  EXPECT_EQ(g[7].n, 11008);  // w3
  EXPECT_EQ(g[3].name, "qk");
  EXPECT_EQ(g[3].count, 32);
  double macs = 0;
  for (const Gemm& x : g) macs += x.macs();
  // 2048 x (4 x 4096^2 + 3 x 4096 x 11008) projections + 2 x 2048^2 x 4096 attention
  EXPECT_DOUBLE_EQ(macs, 2048.0 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008) + 2.0 * 2048 * 2048 * 4096);
  o.phase = Phase::decode, o.batch = 4, o.seq = 1000;
  const std::vector<Gemm> d = decoder_layer(named_shape("llama-70b"), o);  // GQA: 8 KV heads, groups of 8 queries
  EXPECT_EQ(d[1].n, 1024);                                                // wk: 8 x 128
  EXPECT_EQ(d[3].m, 8);
  EXPECT_EQ(d[3].n, 1000);
  EXPECT_EQ(d[3].count, 32);
  EXPECT_EQ(d[4].k, 1000);
  EXPECT_EQ(d[4].n, 128);
  EXPECT_THROW(named_shape("llama-13b"), std::invalid_argument);
}

TEST(SimWorkload, ShapeFromCheckpointHeaderAndConfigJson) {
  const LlamaShape s = read_shape(std::filesystem::path(MXLAB_DATA_DIR) / "models/stories260K.bin");
  const LlamaShape n = named_shape("stories260k");
  EXPECT_EQ(s.dim, n.dim);
  EXPECT_EQ(s.hidden, n.hidden);
  EXPECT_EQ(s.heads, n.heads);
  EXPECT_EQ(s.kv_heads, n.kv_heads);
  EXPECT_EQ(s.layers, n.layers);
  const auto p = std::filesystem::temp_directory_path() / "mxlab_sim_config.json";
  std::ofstream(p) << R"({"hidden_size": 2048, "intermediate_size": 5632, "num_attention_heads": 32,
                          "num_key_value_heads": 4, "num_hidden_layers": 22})";
  const LlamaShape t = read_shape(p), tl = named_shape("1.1b");
  EXPECT_EQ(t.dim, tl.dim);
  EXPECT_EQ(t.hidden, tl.hidden);
  EXPECT_EQ(t.kv_heads, tl.kv_heads);
  std::filesystem::remove(p);
}

Gemm gemm(std::int64_t m, std::int64_t n, std::int64_t k, Format f = Format::mxint8) { return {"g", m, n, k, 1, f, f}; }

TEST(SimTiming, WeightStationaryFoldsEqualClosedForm) {
  const ArchConfig a = parse_arch(arch_text(4, 4, "weight_stationary"), "ws4.toml");
  const Gemm g = gemm(10, 8, 32 * 8);  // Kb = 8: 2 K folds x 2 N folds, T = 10
  const SimResult r = simulate(a, {g}, Format::mxint8, Format::mxint8, AccFormat{});
  const std::int64_t lat = r.pe.latency;  // mxint8_dot: DEPTH 1 + 3
  EXPECT_EQ(r.pe.unit, "mxint8_dot");
  EXPECT_EQ(lat, 4);
  EXPECT_EQ(r.counters.folds, 4);
  EXPECT_EQ(r.counters.fold_cycles, 4 * (4 + 4 * lat + 4 + 10 - 2));
  EXPECT_EQ(r.counters.stall_sram, 0);
  // DRAM of 1e6 bytes/cycle and no latency: the two first loads (all of W, the A panel) and the last store take one
  // cycle each
  EXPECT_EQ(r.counters.stall_dram, 2);
  EXPECT_EQ(r.counters.stall_drain, 0);
  EXPECT_EQ(r.counters.cycles, r.counters.fold_cycles + 3);
  EXPECT_DOUBLE_EQ(r.counters.macs, 10.0 * 8 * 256);
}

TEST(SimTiming, ScaleSimFormulaAtUnitLatency) {
  // SCALE-Sim (Samajdar et al., ISPASS 2020): every fold of a weight-stationary R x C array takes 2R + C + T - 2
  // cycles (scale-sim-v2 pads partial folds to the array); with LAT = 1 the model's folds are exactly that.
  const ArchConfig a = parse_arch(arch_text(8, 8, "weight_stationary"), "ws8.toml");
  for (const Gemm& g : {gemm(100, 64, 32 * 16), gemm(37, 50, 32 * 11 + 5), gemm(1, 8, 32)}) {
    GemmPlan p;
    plan_gemm({a, 32, 1, AccFormat{}}, g, p);
    const std::int64_t kf = (g.k / 32 + (g.k % 32 != 0) + 7) / 8, nf = (g.n + 7) / 8;
    ASSERT_EQ(static_cast<std::int64_t>(p.folds.size()), kf * nf);
    for (const Fold& f : p.folds) EXPECT_EQ(f.cycles, scalesim_fold_cycles(8, 8, g.m));
  }
}

TEST(SimTiming, RooflineWithinFivePercent) {
  // compute bound: T = 8192 rows per fold on a 32 x 32 array (the fold's fill and drain, R (1 + LAT) + C - 2 = 190
  // cycles, is 2.3 % of it), K a multiple of R x 32 lanes
  const ArchConfig big = parse_arch(arch_text(32, 32, "weight_stationary", "kib = 32768\nbanks = 32\nbytes_per_cycle = 64",
                                              "gbps = 4000\nlatency_cycles = 100\nburst_bytes = 64"), "big.toml");
  const SimResult c = simulate(big, {gemm(8192, 1024, 1024)}, Format::mxint8, Format::mxint8, AccFormat{});
  EXPECT_GT(c.roofline.compute_cycles, c.roofline.memory_cycles);
  EXPECT_NEAR(double(c.counters.cycles) / c.roofline.compute_cycles, 1.0, 0.05);
  // memory bound: a decode GEMV (M = 1) on the shipped 32 x 32 array streams each weight once (MXFP4 is not: its
  // 32-column weight tile loads in 680 cycles, less than the 4 folds' 764 cycles of fill and drain)
  const ArchConfig a32 = load_arch(shipped_arch("array32"));
  for (Format f : {Format::mxint8, Format::mxfp8_e4m3}) {
    const SimResult m = simulate(a32, {gemm(1, 4096, 4096, f)}, f, Format::mxint8, AccFormat{});
    EXPECT_GT(m.roofline.memory_cycles, m.roofline.compute_cycles);
    EXPECT_NEAR(double(m.counters.cycles) / m.roofline.memory_cycles, 1.0, 0.05) << traits(f).name;
    EXPECT_GT(m.counters.stall_dram, 0);
  }
  // packed sizes from the traits table: an MXFP4 block of 32 moves as 17 bytes
  EXPECT_DOUBLE_EQ(packed_bytes(Format::mxfp4_e2m1, 32, 4096, 4096), 4096.0 * 128 * 17);
}

TEST(SimTiming, BankConflictsStretchStreaming) {
  // 8 rows of MXINT8 blocks (33 bytes) per cycle into 2 banks of 32 bytes/cycle: ceil(4 x 33 / 32) = 5 cycles a step
  const ArchConfig a = parse_arch(arch_text(8, 8, "weight_stationary", "kib = 4096\nbanks = 2\nbytes_per_cycle = 32"), "narrow.toml");
  EXPECT_EQ(bank_cycles(8, 33, a.act_sram), 5);
  const SimResult r = simulate(a, {gemm(50, 8, 32 * 8)}, Format::mxint8, Format::mxint8, AccFormat{});
  // one fold: weights R x ceil(8/2 x 33 / 32) = 8 x 5, stream T x max(act 5, output ceil(4 x 4 / 32) = 1)
  EXPECT_EQ(r.counters.stall_sram, 8 * 4 + 50 * 4);
  EXPECT_EQ(r.counters.fold_cycles, 8 + 8 * r.pe.latency + 8 + 50 - 2 + r.counters.stall_sram);
}

TEST(SimTiming, SramTooSmallIsAnError) {
  const ArchConfig a = parse_arch(arch_text(4, 4, "weight_stationary", "kib = 1\nbanks = 1\nbytes_per_cycle = 64"), "tiny.toml");
  try {
    simulate(a, {gemm(8, 8, 32 * 1000)}, Format::mxint8, Format::mxint8, AccFormat{});
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit the SRAM buffers of tiny"), std::string::npos) << e.what();
  }
}

TEST(SimTiming, NoUnitForFormatsIsAnError) {
  const ArchConfig a = parse_arch(arch_text(4, 4, "weight_stationary"), "a.toml");
  EXPECT_THROW(choose_pe(a, Format::nvfp4, Format::mxint8), std::invalid_argument);
  EXPECT_EQ(choose_pe(a, Format::mxint4, Format::mxint8).unit, "mx_dot_any");  // W mxint4 x A mxint8
  EXPECT_EQ(choose_pe(a, Format::mxfp4_e2m1, Format::mxfp4_e2m1).unit, "mxfp4_dot");
  EXPECT_EQ(choose_pe(a, Format::nvfp4, Format::nvfp4).lanes, 16);
}

TEST(SimFunctional, OutputStationaryValuesAndCyclesEqualTheFunctionalArray) {
  // Each GEMM of a stories260K layer computed on the cycle-level array (sim/pe/pe_array.hpp, C++ PEs): outputs bit
  // for bit exact_gemm's, array cycles (tiles x Kb - 1 + LAT) the transaction level's.
  const ArchConfig arch = parse_arch(arch_text(4, 4, "output_stationary"), "os.toml");
  WorkloadOptions o;
  o.seq = 8;
  for (auto [w, a] : {std::pair{Format::mxint8, Format::mxint8}, std::pair{Format::mxint4, Format::mxint8},
                      std::pair{Format::nvfp4, Format::nvfp4}}) {
    o.weights = w, o.acts = a;
    const SimResult r = simulate_layer(arch, named_shape("stories260k"), o, AccFormat{});
    EXPECT_EQ(r.counters.stall_sram, 0);
    const std::vector<FunctionalGemm> f = functional_check(r);
    ASSERT_EQ(f.size(), 9u);
    for (const FunctionalGemm& g : f) {
      EXPECT_EQ(g.mismatches, 0u) << r.pe.unit << " " << g.name;
      EXPECT_EQ(g.array_cycles, g.transaction_cycles) << r.pe.unit << " " << g.name;
    }
  }
  EXPECT_THROW(functional_check(simulate(parse_arch(arch_text(4, 4, "weight_stationary"), "ws.toml"), {gemm(4, 4, 32)},
                                         Format::mxint8, Format::mxint8, AccFormat{})),
               std::invalid_argument);
}

TEST(SimReport, JsonCarriesStatistics) {
  WorkloadOptions o;
  o.phase = Phase::decode, o.seq = 512;
  const SimResult r = simulate_layer(load_arch(shipped_arch("array32")), named_shape("stories260k"), o, AccFormat{});
  const nlohmann::json j = to_json(r);
  EXPECT_EQ(j["gemms"].size(), 9u);
  EXPECT_EQ(j["cycles"].get<std::int64_t>(), r.counters.cycles);
  EXPECT_GT(j["bytes"]["dram_read"].get<double>(), 0);
  EXPECT_TRUE(j["stalls"].contains("sram_bank_conflict"));
  EXPECT_FALSE(j.contains("energy"));  // absent unless asked for, never guessed
  const Energy e = compose_energy(r, 1.0, "test");
  EXPECT_DOUBLE_EQ(e.mac_pj, r.counters.macs);
  EXPECT_GT(e.dram_pj, 0);
}

}  // namespace
}  // namespace mxlab::sim

namespace mxlab::sim {
namespace {

std::string run(const std::string& args, int& rc) {
  const std::string cmd = std::string(MXLAB_CLI) + " sim " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  rc = pclose(p);
  return out;
}

TEST(SimCli, JsonAndOneLineErrors) {
  int rc = 0;
  const std::string out = run("--shape stories260k --phase decode --seq 64 --batch 2 --weights mxfp4_e2m1 --acts mxint8 --json", rc);
  ASSERT_EQ(rc, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["pe"]["unit"], "mx_dot_any");
  EXPECT_EQ(j["tokens"], 2);
  EXPECT_GT(j["cycles"].get<std::int64_t>(), 0);
  const auto bad = std::filesystem::temp_directory_path() / "mxlab_sim_bad_arch.toml";
  std::ofstream(bad) << arch_text(4, 4, "weight_stationary", "kib = 64\nbanks = 0\nbytes_per_cycle = 64");
  const std::string err = run("--arch " + bad.string() + " --shape 7b", rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find("mxlab: error: " + bad.string() + ":8:9: sram.weight.banks: must be >= 1 (got 0)"), std::string::npos) << err;
  std::filesystem::remove(bad);
  EXPECT_NE(run("--shape 7b --weights nvfp4 --acts mxint8", rc).find("no block-dot unit"), std::string::npos);
  EXPECT_NE(rc, 0);
}

}  // namespace
}  // namespace mxlab::sim
