// The controller's tiling of a GEMM on the PE array: folds (one array-load of work: the transaction of the
// transaction-level mode), the DRAM loads they depend on, and each fold's closed-form cycle count.
//
// Timing contract (the same as the PE's, sim/pe/pe.hpp): a PE is one block-dot unit taking one (weight block,
// activation block) pair per cycle, result LAT = DEPTH + 3 cycles later (the unit's pipeline, mxlab_block_dot.sv).
// Weight stationary (a systolic array; SCALE-Sim v2 pads every fold to the whole array,
// scalesim/compute/systolic_compute_ws.py): R cycles shift the weight blocks in, activations enter row i skewed by
// i * LAT (partial sums move down one PE per LAT cycles), T = rows of A streamed:  R + R * LAT + C + T - 2 per fold.
// With LAT = 1 that is SCALE-Sim's 2 S_R + S_C + T - 2 (Samajdar et al., ISPASS 2020, the analytical runtime model,
// S_R = R, S_C = C for a full fold); with R = C = 1 it is the PE's Kb + LAT.
// Output stationary (the functional array of sim/pe/pe_array.hpp: operands broadcast along rows and columns, no
// skew): an R x C tile of outputs takes T = Kb cycles, tiles stream back to back, plus LAT - 1 once at the end (sim/pe/pe_array.hpp
// array_cycles: tiles * Kb - 1 + LAT).
// SRAM bank conflicts stretch the streaming cycles (bank_cycles); DRAM waits and output drain are the modules' stalls.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/arch.hpp"
#include "sim/workload.hpp"

namespace mxlab::sim {

// SCALE-Sim's cycles for one fold (LAT = 1): 2 S_R + S_C + T - 2.
inline std::int64_t scalesim_fold_cycles(std::int64_t sr, std::int64_t sc, std::int64_t t) { return 2 * sr + sc + t - 2; }

// Cycles for one streaming step when `blocks` accesses of `bytes` each hit `banks` banks of `bytes_per_cycle`,
// spread round-robin (the controller lays each array row's operand in bank row mod banks): the busiest bank's
// ceil(ceil(blocks / banks) * bytes / bytes_per_cycle); at least 1.
std::int64_t bank_cycles(std::int64_t blocks, double bytes, const SramConfig& s);

enum Operand { kWeight = 0, kAct = 1 };

struct Load {
  int operand;              // kWeight | kAct
  std::int64_t bytes;       // from DRAM into that operand's SRAM (one of its two buffers)
  std::int64_t last_fold;   // the fold after which the buffer is free again
};

struct Fold {
  std::int64_t load[2];     // the loads (per operand) this fold reads; -1: none
  std::int64_t cycles;      // closed form incl. SRAM stretch
  std::int64_t sram_stall;  // of which: bank-conflict stretch
  std::int64_t busy;        // PE-cycles doing block pairs (sum over PEs)
  double macs;
  double sram_read[2];      // bytes read from the weight / activation SRAM
  double out_sram;          // bytes written (and read back for partial sums) in the output SRAM
  std::int64_t store_bytes; // > 0: a finished output tile leaves for DRAM after this fold
};

struct GemmPlan {
  std::vector<Load> loads;
  std::vector<Fold> folds;
  bool weights_resident = false;  // which loop order was chosen (the operand kept in SRAM panels)
  std::int64_t panel = 0;         // rows (M) or columns (N) per panel
  double dram_read = 0, dram_write = 0;
  std::int64_t tail_cycles = 0;   // after the last fold (OS: LAT - 1)
};

struct PlanContext {
  const ArchConfig& arch;
  int lanes;       // elements per block (the PE unit's N)
  int latency;     // LAT
  AccFormat acc;   // output SRAM holds partial sums at this width
};

// The cheaper (in DRAM bytes) of two loop orders that fit the SRAMs: activation panels resident (W streamed per
// panel) or weight panels resident (A streamed per panel); both double-buffered. Appends to `plan` (GEMM instances
// back to back). Throws std::invalid_argument when the buffers cannot hold even one fold's operands.
void plan_gemm(const PlanContext& ctx, const Gemm& g, GemmPlan& plan);

// Bytes of one PE lane group (`lanes` elements) of format f: its packed block of `lanes` when that is the format's
// default block (every block-dot PE); otherwise the format's exact storage at its own default block, lanes x
// bits_per_weight / 8 (a VQ PE's lanes are N x D weights of a 2304-weight codebook block: codebook included).
double lane_group_bytes(Format f, int lanes);
// Bytes of `rows` rows of `k` elements in format f: rows * ceil(k / lanes) * lane_group_bytes(f, lanes).
double packed_bytes(Format f, int lanes, std::int64_t rows, std::int64_t k);

}  // namespace mxlab::sim
