// Verilator driver of the catalog units (co-simulation tests, golden replay, bench): clocking, wide-port packing,
// and a streaming scoreboard for the block dot units.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rtl/models/golden.hpp"
#include "rtl/verilator/verilated_units.hpp"

namespace mxlab::rtl::verilator {

template <class V>
struct Dut {
  std::unique_ptr<VerilatedContext> ctx = std::make_unique<VerilatedContext>();
  std::unique_ptr<V> m = std::make_unique<V>(ctx.get());
  Dut() {
    m->clk = 0;
    m->rst_n = 0;
    m->in_valid = 0;
    m->out_ready = 1;
    m->eval();
    tick();
    m->rst_n = 1;
    tick();
  }
  void tick() {
    m->clk = 1;
    m->eval();
    m->clk = 0;
    m->eval();
  }
};

// Packs one byte per lane into a Verilator port (lane i at bits [8i, 8i+8)).
template <class Port>
void pack_lanes(Port& port, const std::vector<std::uint8_t>& lanes) {
  if constexpr (requires { port[0]; }) {
    for (std::size_t w = 0; w < (lanes.size() + 3) / 4; ++w) {
      std::uint32_t word = 0;
      for (std::size_t k = 0; k < 4 && 4 * w + k < lanes.size(); ++k) word |= std::uint32_t{lanes[4 * w + k]} << (8 * k);
      port[w] = word;
    }
  } else {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < lanes.size(); ++i) v |= std::uint64_t{lanes[i]} << (8 * i);
    port = static_cast<std::remove_reference_t<Port>>(v);
  }
}

// Puts one block pair on a block dot unit's input ports (in_valid is left to the caller).
template <class M>
void drive_block(M& m, const BlockVector& v) {
  m.in_clear = v.clear;
  m.in_sel_a = static_cast<std::uint8_t>(v.ea);
  m.in_sel_b = static_cast<std::uint8_t>(v.eb);
  m.in_xa = static_cast<std::remove_reference_t<decltype(m.in_xa)>>(v.xa);  // scale port: 8, 32 or 40 bits
  m.in_xb = static_cast<std::remove_reference_t<decltype(m.in_xb)>>(v.xb);
  // the tensor scale (used by TSCALE units only); none: 1.0, for which RNE(acc * 1) = acc with no flags
  m.in_alpha = static_cast<std::uint32_t>(v.alpha.value_or(0x3F800000));
  pack_lanes(m.in_a, v.a);
  pack_lanes(m.in_b, v.b);
}

struct CosimStats {
  std::size_t checked = 0;
  std::size_t mismatches = 0;
};

// Streams block vectors through a block dot unit (valid/ready; random output stalls when `stall_prob` > 0) and
// compares every output against the vector's expected accumulator bits and flags.
template <class V>
CosimStats stream_blocks(Dut<V>& d, const std::vector<BlockVector>& vec, double stall_prob = 0.0, unsigned seed = 1) {
  CosimStats st;
  std::mt19937 rng(seed);
  std::bernoulli_distribution stall(stall_prob);
  std::size_t in = 0, out = 0;
  auto& m = *d.m;
  for (std::size_t cyc = 0; out < vec.size(); ++cyc) {
    if (cyc > 8 * vec.size() + 100) break;  // a hang is a failure (reported as missing outputs)
    if (in < vec.size()) {
      m.in_valid = 1;
      drive_block(m, vec[in]);
    } else {
      m.in_valid = 0;
    }
    m.out_ready = stall_prob > 0 ? !stall(rng) : 1;
    m.eval();
    if (m.out_valid && m.out_ready) {
      const BlockVector& v = vec[out++];
      ++st.checked;
      if (m.out_acc != v.acc || m.out_flags != v.flags) {
        if (++st.mismatches <= 5)
          std::printf("MISMATCH #%zu: %s\n   rtl acc %08llX flags %02X\n", out - 1, golden_line(v).c_str(),
                      static_cast<unsigned long long>(m.out_acc), static_cast<unsigned>(m.out_flags));
      }
    }
    if (m.in_valid && m.in_ready) ++in;
    d.tick();
  }
  st.mismatches += vec.size() - st.checked;
  return st;
}

// stream_blocks through a fresh instance of the catalog block dot unit `unit` (MXLAB_RTL_BLOCK_DOT_UNITS).
// Throws std::invalid_argument naming the units when `unit` is not one of them.
CosimStats stream_unit(std::string_view unit, const std::vector<BlockVector>& vec, double stall_prob = 0.0,
                       unsigned seed = 1);

}  // namespace mxlab::rtl::verilator
