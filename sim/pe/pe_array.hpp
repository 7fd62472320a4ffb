// A functional output-stationary array of rows x cols PEs (C++ or Verilated RTL, pe.hpp / rtl_pe.hpp) computing a
// GEMM out = A W^T tile by tile from packed block codes (formats/packed.hpp rows, as the runtime's `--gemm exact`
// quantizes them): outputs bit for bit as formats/exact_gemm.hpp, and the cycles of the PE timing contract.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <systemc>

#include "formats/packed.hpp"
#include "sim/pe/pe.hpp"
#include "sim/pe/sim_context.hpp"

namespace mxlab::sim {

// Outputs and timing of one GEMM on the array. Edges count from the one that accepts the first block (edge 0).
struct ArrayRun {
  int m = 0, n = 0;                       // output shape
  std::vector<float> out;                 // m x n: fl32 of the final accumulator (TSCALE: RNE(acc * alpha))
  std::vector<std::uint64_t> acc;         // m x n: the final out_acc bits
  std::vector<std::uint32_t> flags;       // m x n: the final block's out_flags
  std::vector<std::uint64_t> taken_edge;  // m x n: the edge that took the final accumulator
  std::vector<std::uint64_t> trace;       // every result of every PE, PE by PE in order: acc bits << 5 | flags
  std::uint64_t tiles = 0;                // ceil(M / rows) ceil(N / cols)
  std::uint64_t blocks = 0;               // Kb, block pairs per output
  std::uint64_t cycles = 0;               // edge that took the last result
};

// The closed form of the timing contract (pe.hpp): T tiles of Kb blocks streamed back to back.
std::uint64_t array_cycles(const PeConfig& cfg, std::uint64_t tiles, std::uint64_t blocks);

// The array. Ports clk, rst_n; one SC_THREAD: after reset, every PE streams the block pairs of its output in each
// tile (tiles in row-major order of the output, K blocks per output with `clear` on the first, valid/ready per PE,
// out_ready held at 1); edge PEs of a ragged last tile compute a clamped copy whose results are dropped. When every
// result is taken it notifies `done` and stops the simulation.
class PeArray : public sc_core::sc_module {
 public:
  sc_core::sc_in<bool> clk{"clk"}, rst_n{"rst_n"};
  sc_core::sc_event done;

  SC_HAS_PROCESS(PeArray);
  PeArray(const sc_core::sc_module_name& name, int rows, int cols, const PeConfig& cfg, const PeFactory& make);
  ~PeArray() override;
  // The GEMM to run (before the simulation starts): a_rows M activation rows, w_rows N weight rows, K values each
  // (encode_ref of each row). Throws std::invalid_argument on empty or mismatched rows, a block size other than the
  // PE's lanes, formats the PE's unit does not take, or nvfp4 tensor scales on a PE without the TSCALE epilogue.
  void load(std::span<const PackedTensor> a_rows, std::span<const PackedTensor> w_rows);
  bool finished() const { return finished_; }
  const ArrayRun& result() const { return run_; }

 private:
  struct Wires;
  void control();
  PeBlock block(std::size_t pe, std::uint64_t index);  // the index-th block pair PE `pe` streams

  int rows_, cols_;
  PeConfig cfg_;
  std::vector<std::unique_ptr<Wires>> wires_;
  std::vector<std::unique_ptr<PeBase>> pes_;
  std::span<const PackedTensor> a_, w_;
  std::uint64_t tiles_n_ = 0;  // tiles along N
  std::vector<std::vector<rtl::BlockVector>> pairs_;  // per PE: the block pairs of its current output
  std::vector<std::uint64_t> pairs_tile_;             // per PE: the tile pairs_ holds (+1; 0: none)
  ArrayRun run_;
  bool finished_ = false;
};

// Runs one GEMM on a fresh rows x cols array (reset two cycles, 1 ns clock) in a fresh SystemC simulation context
// (fresh_sim_context) and returns the result; throws std::runtime_error if it does not finish within 4x the closed
// form.
ArrayRun run_gemm(int rows, int cols, const PeConfig& cfg, const PeFactory& make, std::span<const PackedTensor> a_rows,
                  std::span<const PackedTensor> w_rows);

}  // namespace mxlab::sim
