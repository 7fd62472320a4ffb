// The accelerator's processing element: one block-dot unit of the RTL catalog (rtl/units.json, kind block_dot) as a
// SystemC module, cycle-accurate to rtl/sv/mxlab_block_dot.sv at its ports; arithmetic from rtl::BlockDotModel
// (formats/dot.hpp block_value + formats/accumulate.hpp acc_add), the arithmetic the RTL computes.
//
// Ports (PeBase; the C++ PE `Pe` and the Verilated RTL PE `RtlPe` (rtl_pe.hpp) have exactly these):
//   clk, rst_n                    in  bool   rising-edge clock, active-low reset
//   in_valid / in_ready           in / out   a block pair is accepted at a rising edge where both are 1
//   in_block                      in  PeBlock the block pair: clear, element types (run-time selection), scale port
//                                             values, one code per lane, tensor scale (TSCALE units)
//   out_valid / out_ready         out / in   a result is taken at a rising edge where both are 1
//   out_acc                       out uint64 the accumulator after the block (TSCALE: RNE(acc * alpha)), in the
//                                             accumulator format's bits (FP32 for every RTL unit)
//   out_flags                     out uint32 {invalid, nan_in, overflow, underflow, inexact} of that block
//
// Timing contract (the RTL's, mxlab_block_dot.sv + mxlab_out_fifo.sv; the transaction-level mode counts the same):
//   - Every accepted block pair produces one result: acc <- RNE(acc + X_A X_B sum_i A_i B_i), acc reset to +0 by
//     `clear` before adding the block. Results leave in acceptance order.
//   - Latency L = DEPTH + 3 (+1 with TSCALE) edges from acceptance to the earliest taking: a block accepted at rising
//     edge t enters the output FIFO at edge t + L - 1, so out_valid = 1 from then on and edge t + L takes it.
//   - Throughput: one block pair per cycle. in_ready = (accepted and not yet taken) < L + 1, a register (no path from
//     out_ready): with out_ready held at 1 the PE never stalls.
//   - A K-block accumulation (Kb = ceil(K / lanes) blocks accepted back to back at edges 0 .. Kb - 1, `clear` on the
//     first) has its final accumulator taken at edge Kb - 1 + L:
//         cycles(K) = Kb - 1 + L = Kb + DEPTH + 2 (+1 with TSCALE)   (edges from the first acceptance)
//     T accumulations streamed back to back (the functional output-stationary array, pe_array.hpp, out_ready held at
//     1; every PE of the array runs its tiles in lockstep):
//         cycles = T * Kb - 1 + L = T * Kb + DEPTH + 2 (+1 with TSCALE).
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <systemc>

#include "formats/accumulate.hpp"
#include "formats/format.hpp"
#include "rtl/models/block_dot_model.hpp"
#include "rtl/models/golden.hpp"
#include "rtl/models/units.hpp"

namespace mxlab::sim {

// One block pair as the PE's input port carries it (rtl::BlockPair with owned codes).
struct PeBlock {
  Elem ea = Elem::e2m1, eb = Elem::e2m1;
  bool clear = false;
  std::uint64_t xa = 127, xb = 127;    // scale port values (E8M0 / UE4M3 byte, FP32 bits, + zero point in [39:32])
  std::optional<std::uint64_t> alpha;  // tensor scale (TSCALE units), in the accumulator format
  std::vector<std::uint8_t> a, b;      // one element code per lane
  static PeBlock from(const rtl::BlockVector& v);
  rtl::BlockPair pair() const { return {ea, eb, xa, xb, clear, a, b, alpha}; }
  bool operator==(const PeBlock&) const = default;
};
std::ostream& operator<<(std::ostream& os, const PeBlock& b);
void sc_trace(sc_core::sc_trace_file* tf, const PeBlock& b, const std::string& name);

// What the C++ PE needs to know of its unit: lanes, scale type, pipeline depth, tensor-scale epilogue, accumulator.
struct PeConfig {
  std::string unit;  // catalog unit name ("" for a C++-only PE of formats no catalog unit pairs)
  int lanes = 32;
  ScaleType scale = ScaleType::e8m0;
  int depth = 1;              // SV DEPTH (1..4)
  bool tensor_scale = false;  // SV TSCALE
  AccFormat acc{};            // SV ACC_E / ACC_M (FP32 unless the unit's params say otherwise)
  bool weights_on_a = false;  // the unit's A side takes the weights (W x A units: element sets of A and B differ)
  int latency() const { return depth + 3 + (tensor_scale ? 1 : 0); }  // L: acceptance to earliest taking
  int credits() const { return latency() + 1; }                      // output FIFO entries (mxlab_out_fifo D)
  // The catalog unit's configuration; throws std::invalid_argument for an unknown unit or one not of kind block_dot.
  static PeConfig from_unit(const std::string& unit);
  // A PE for weights in `w` and activations in `a` (same scale type and block size: W mxint4 x A mxint8 is fine);
  // throws std::invalid_argument naming both formats otherwise.
  static PeConfig for_formats(Format w, Format a, AccFormat acc = {});
};

// The port interface shared by the C++ and the RTL PE (swapped through a PeFactory: make_cpp_pe, make_rtl_pe).
class PeBase : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk{"clk"}, rst_n{"rst_n"};
  sc_core::sc_in<bool> in_valid{"in_valid"};
  sc_core::sc_out<bool> in_ready{"in_ready"};
  sc_core::sc_in<PeBlock> in_block{"in_block"};
  sc_core::sc_out<bool> out_valid{"out_valid"};
  sc_core::sc_in<bool> out_ready{"out_ready"};
  sc_core::sc_out<std::uint64_t> out_acc{"out_acc"};
  sc_core::sc_out<std::uint32_t> out_flags{"out_flags"};

  const PeConfig& config() const { return cfg_; }

 protected:
  PeBase(const sc_core::sc_module_name& name, PeConfig cfg) : sc_core::sc_module(name), cfg_(std::move(cfg)) {}
  PeConfig cfg_;
};

// The C++ PE: one SC_THREAD on the rising clock edge (state cleared while rst_n is 0) modelling the RTL's input
// register, never-stalling pipeline and credit-checked output FIFO; values from rtl::BlockDotModel. The state is the
// module's, not the thread's: SystemC never unwinds a thread that does not return.
class Pe : public PeBase {
 public:
  SC_HAS_PROCESS(Pe);
  Pe(const sc_core::sc_module_name& name, PeConfig cfg);

 private:
  void run();
  void reset();
  void publish();  // register outputs after the edge
  bool has_credit() const { return count_ < static_cast<std::size_t>(cfg_.credits()); }

  rtl::BlockDotModel model_;
  std::deque<std::pair<std::uint64_t, AccResult>> pipe_;  // (edge of the FIFO push, result), in flight
  std::deque<AccResult> fifo_;
  std::size_t count_ = 0;  // accepted and not yet taken
  std::uint64_t edge_ = 0;
};

// Builds a PE (C++ or RTL, rtl_pe.hpp) for a configuration: how an array swaps its PEs.
using PeFactory = std::function<std::unique_ptr<PeBase>(const char* name, const PeConfig& cfg)>;
std::unique_ptr<PeBase> make_cpp_pe(const char* name, const PeConfig& cfg);

}  // namespace mxlab::sim
