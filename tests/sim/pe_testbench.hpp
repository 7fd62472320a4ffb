// Test helpers of the PE tests: a one-PE testbench (stimulus + scoreboard log: every acceptance and every result with
// its edge, random output stalls) and seeded GEMM operands quantized as the runtime's exact GEMM quantizes them.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <systemc>

#include "formats/block_codecs.hpp"
#include "formats/exact_gemm.hpp"
#include "formats/packed.hpp"
#include "reference_check.hpp"
#include "sim/pe/pe.hpp"
#include "sim/pe/pe_array.hpp"

namespace mxlab::sim::test {

// What a PE did at its ports: the edge of each acceptance, and each result taken (edge, acc bits, flags).
struct PeLog {
  std::vector<std::uint64_t> accepted;
  struct Out {
    std::uint64_t edge, acc;
    std::uint32_t flags;
    bool operator==(const Out&) const = default;
  };
  std::vector<Out> taken;
};

// Streams `blocks` through one PE made by `make` (in_valid held while blocks remain; out_ready dropped with
// probability `stall`, seeded) in a fresh simulation context; edges count from the release of reset.
inline PeLog stream_pe(const PeFactory& make, const PeConfig& cfg, const std::vector<rtl::BlockVector>& blocks,
                       double stall, unsigned seed) {
  struct Bench : sc_core::sc_module {
    sc_core::sc_clock clk{"clk", 1, sc_core::SC_NS};
    sc_core::sc_signal<bool> rst_n{"rst_n", false}, in_valid, in_ready, out_valid, out_ready;
    sc_core::sc_signal<PeBlock> in_block;
    sc_core::sc_signal<std::uint64_t> out_acc;
    sc_core::sc_signal<std::uint32_t> out_flags;
    std::unique_ptr<PeBase> pe;
    const std::vector<rtl::BlockVector>& v;
    std::mt19937 rng;
    std::bernoulli_distribution stall;
    PeLog log;
    SC_HAS_PROCESS(Bench);
    Bench(sc_core::sc_module_name n, const PeFactory& make, const PeConfig& cfg, const std::vector<rtl::BlockVector>& v,
          double p, unsigned seed)
        : sc_core::sc_module(n), pe(make("pe", cfg)), v(v), rng(seed), stall(p) {
      pe->clk(clk), pe->rst_n(rst_n), pe->in_valid(in_valid), pe->in_ready(in_ready), pe->in_block(in_block);
      pe->out_valid(out_valid), pe->out_ready(out_ready), pe->out_acc(out_acc), pe->out_flags(out_flags);
      SC_THREAD(run);
      sensitive << clk.posedge_event();
    }
    void run() {
      for (int i = 0; i < 3; ++i) wait();
      rst_n.write(true);
      std::size_t sent = 0;
      auto drive = [&] {
        in_valid.write(sent < v.size());
        if (sent < v.size()) in_block.write(PeBlock::from(v[sent]));
        out_ready.write(!stall(rng));
      };
      wait();
      drive();
      for (std::uint64_t edge = 1; log.taken.size() < v.size() && edge < 20 * v.size() + 100; ++edge) {
        wait();
        if (in_valid.read() && in_ready.read()) log.accepted.push_back(edge), ++sent;
        if (out_valid.read() && out_ready.read()) log.taken.push_back({edge, out_acc.read(), out_flags.read()});
        drive();
      }
      sc_core::sc_stop();
    }
  };
  fresh_sim_context();
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  Bench b("bench", make, cfg, blocks, stall, seed);
  run_simulation();
  return b.log;
}

// A unit's adversarial block pairs then `random` seeded ones, expectations (acc, flags) from the independent
// reference (rtl/models/oracle_reference.hpp, via tests/rtl/reference_check.hpp).
inline std::vector<rtl::BlockVector> reference_stream(const std::string& unit, std::size_t random, std::uint64_t seed) {
  const rtl::UnitConfig& u = rtl::unit_config(unit);
  std::vector<rtl::BlockVector> v = rtl::adversarial_blocks(u.stim);
  const auto rnd = rtl::random_blocks(u.stim, random, seed);
  v.insert(v.end(), rnd.begin(), rnd.end());
  rtl::expect_from_reference(v, u.stim.scale, unit, "pe stream");
  return v;
}

// Seeded operands: rows x k values (normal, a few outliers x 40) quantized in format f as the runtime's exact GEMM
// does (one PackedTensor per row, encode_ref; and the same values as an ExactMatrix for exact_gemm); tensor_scale:
// nvfp4's per-tensor scale, one for the matrix.
struct Operand {
  std::vector<float> x;
  std::vector<PackedTensor> rows;
  ExactMatrix exact;
};
inline Operand make_operand(Format f, int rows, int k, std::uint64_t seed, bool tensor_scale = false) {
  Operand o;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  o.x.resize(static_cast<std::size_t>(rows) * k);
  for (float& v : o.x) v = nd(rng) * (u(rng) < 0.02f ? 40.0f : 1.0f);
  QuantConfig cfg;
  cfg.tensor_scale = tensor_scale;
  if (tensor_scale) cfg.tensor_scale_value = codecs::nvfp4_tensor_scale(o.x);
  for (int r = 0; r < rows; ++r)
    o.rows.push_back(encode_ref(f, {o.x.data() + static_cast<std::size_t>(r) * k, static_cast<std::size_t>(k)}, cfg));
  o.exact = ExactMatrix::quantize(f, cfg, o.x, rows, k);
  return o;
}

}  // namespace mxlab::sim::test
