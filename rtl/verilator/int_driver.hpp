// Verilator driver of the integer units (int_mac, vq_mac kinds): steps from a generator (input vectors with their
// expected accumulators, codebook writes), valid/ready with optional random output stalls, a scoreboard that
// compares every output in order, counts unexpected and missing outputs, and never grows with the stream length.
// Without output stalls in_ready must stay high (one vector per cycle): each cycle it is low counts as a mismatch.
#pragma once
#include <cstdint>
#include <cstdio>
#include <deque>
#include <random>
#include <string_view>
#include <vector>

#include "rtl/models/int_reference.hpp"
#include "rtl/verilator/vdriver.hpp"

namespace mxlab::rtl::verilator {

// Drives steps `next(step)` returns (false: no more) through a Verilated int_mac (IntStep) or vq_mac (VqStep) unit.
// idx_bits: the vq_mac unit's IDX_BITS (unused for int_mac). A VqStep write takes one cycle with in_valid low; a vector waits for in_ready. Outputs are compared as ACC_W-bit
// two's complement words with the steps' expected accumulators, in acceptance order.
template <class V, class Step, class Next>
CosimStats drive_int_unit(Dut<V>& d, Next&& next, int idx_bits = 0, double stall_prob = 0.0, unsigned seed = 1) {
  CosimStats st;
  std::mt19937 rng(seed);
  std::bernoulli_distribution stall(stall_prob);
  std::deque<std::int64_t> want;
  auto& m = *d.m;
  Step s;
  bool have = next(s);
  std::size_t quiet = 0;  // cycles without progress: a hang is a failure (the missing outputs count as mismatches)
  while ((have || !want.empty()) && quiet < 1000) {
    bool write = false;
    m.in_valid = 0;
    if constexpr (requires { m.cb_we; }) {
      m.cb_we = 0;
      if (have && s.write) {
        write = true;
        m.cb_we = 1;
        m.cb_addr = static_cast<std::remove_reference_t<decltype(m.cb_addr)>>(s.addr);
        pack_lanes(m.cb_data, std::vector<std::uint8_t>(s.cw.begin(), s.cw.end()));
      } else if (have) {
        m.in_valid = 1;
        m.in_clear = s.clear;
        std::vector<std::uint8_t> bytes;  // the index bus: index i at bits [i*idx_bits, (i+1)*idx_bits)
        std::uint64_t acc = 0;
        int nacc = 0;
        for (std::uint32_t x : s.idx) {
          acc |= static_cast<std::uint64_t>(x) << nacc;
          for (nacc += idx_bits; nacc >= 8; nacc -= 8) bytes.push_back(static_cast<std::uint8_t>(acc)), acc >>= 8;
        }
        if (nacc > 0) bytes.push_back(static_cast<std::uint8_t>(acc));
        pack_lanes(m.in_idx, bytes);
        pack_lanes(m.in_x, std::vector<std::uint8_t>(s.x.begin(), s.x.end()));
      }
    } else {
      if (have) {
        m.in_valid = 1;
        m.in_clear = s.clear;
        pack_lanes(m.in_a, s.a);
        pack_lanes(m.in_b, s.b);
      }
    }
    m.out_ready = stall_prob > 0 ? !stall(rng) : 1;
    m.eval();
    if (stall_prob == 0 && m.in_valid && !m.in_ready && ++st.mismatches <= 5)  // the FIFO credit must cover LAT
      std::printf("THROUGHPUT: in_ready low although out_ready never was (below one vector per cycle)\n");
    bool progress = false;
    if (m.out_valid && m.out_ready) {
      progress = true;
      constexpr int acc_bits = sizeof(m.out_acc) * 8;  // 32-bit accumulators (IData)
      const auto got = static_cast<std::int64_t>(static_cast<std::int32_t>(m.out_acc));
      static_assert(acc_bits == 32, "the driver compares 32-bit accumulators");
      if (want.empty()) {
        if (++st.mismatches <= 5) std::printf("UNEXPECTED OUTPUT %08X\n", static_cast<unsigned>(m.out_acc));
      } else {
        ++st.checked;
        if (got != want.front() && ++st.mismatches <= 5)
          std::printf("MISMATCH at output #%zu: rtl %08X expected %08X\n", st.checked - 1,
                      static_cast<unsigned>(m.out_acc), static_cast<unsigned>(want.front()));
        want.pop_front();
      }
    }
    const bool consumed = write || (m.in_valid && m.in_ready);
    if (consumed && !write) want.push_back(s.acc);
    d.tick();
    if (consumed) {
      progress = true;
      have = next(s);
    }
    quiet = progress ? 0 : quiet + 1;
  }
  st.mismatches += want.size();
  return st;
}

// drive_int_unit over stored steps through a fresh instance of the catalog int_mac / vq_mac unit `unit`.
// Throws std::invalid_argument naming the units when `unit` is not one of that kind.
CosimStats stream_int_unit(std::string_view unit, const std::vector<IntStep>& steps, double stall_prob = 0.0,
                           unsigned seed = 1);
CosimStats stream_vq_unit(std::string_view unit, const std::vector<VqStep>& steps, double stall_prob = 0.0,
                          unsigned seed = 1);

}  // namespace mxlab::rtl::verilator
