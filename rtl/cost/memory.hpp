// Memory-side cost constants for the accelerator model: SRAM and DRAM access energy and SRAM area, each from a cited
// publication, and the rule that scales them to the node and supply of the liberty the units are mapped onto.
#pragma once

namespace mxlab::cost {

// M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014, pp. 10-14, table of energy per
// operation at 45 nm, 0.9 V: cache (SRAM) access of 64 bits from an 8 KB array 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ;
// DRAM 64-bit access 1.3-2.6 nJ. The same table's arithmetic, quoted beside the cost table for orientation:
// 8-bit integer add 0.03 pJ, 32-bit add 0.1 pJ, 8-bit multiply 0.2 pJ, 32-bit multiply 3.1 pJ, 16-bit FP add 0.4 pJ,
// 32-bit FP add 0.9 pJ, 16-bit FP multiply 1.1 pJ, 32-bit FP multiply 3.7 pJ.
struct MemoryFigure {
  double capacity_bytes;  // SRAM array size (DRAM: 0)
  double pj_per_64b;      // energy of one 64-bit access
};
inline constexpr double kHorowitzNodeNm = 45, kHorowitzVdd = 0.9;
inline constexpr MemoryFigure kSram8K{8.0 * 1024, 10}, kSram32K{32.0 * 1024, 20}, kSram1M{1024.0 * 1024, 100};
inline constexpr double kDramPjPer64bLow = 1300, kDramPjPer64bHigh = 2600;  // off-chip DDR3/LPDDR class
inline constexpr double kHorowitzInt8MulPj = 0.2, kHorowitzInt8AddPj = 0.03, kHorowitzFp32MulPj = 3.7,
                        kHorowitzFp32AddPj = 0.9, kHorowitzFp16MulPj = 1.1, kHorowitzInt32AddPj = 0.1;

// SRAM area: Intel's 65 nm 70 Mbit SRAM test chip, 110 mm^2 with a 0.57 um^2 6T cell (Intel press release,
// "65-Nanometer Process Technology Extends Benefits of Moore's Law", 2004): 110e6 um^2 / (70 * 2^20 / 8 / 1024 KiB)
// = 12,277 um^2 per KiB, periphery included (the cell array alone: 0.57 * 8192 = 4,669 um^2 per KiB).
inline constexpr double kSramAreaNodeNm = 65;
inline constexpr double kSramUm2PerKiB = 110e6 / (70.0 * 1048576 / 8 / 1024);

// Node scaling (first order, stated not fitted): dynamic energy C V^2 with C proportional to the feature size,
// E(node, V) = E_45 * (node / 45) * (V / 0.9)^2; area proportional to node^2. DRAM energy is an off-chip interface
// and array figure: not scaled with the logic node. sky130 (130 nm, 1.8 V): energy x 11.6, SRAM area x 4.0 vs 65 nm.
inline double scale_energy(double pj_45nm, double node_nm, double vdd) {
  return pj_45nm * (node_nm / kHorowitzNodeNm) * (vdd / kHorowitzVdd) * (vdd / kHorowitzVdd);
}
inline double scale_area(double um2, double from_nm, double to_nm) { return um2 * (to_nm / from_nm) * (to_nm / from_nm); }

// SRAM energy per byte read of an array of `bytes`: log-log interpolation between Horowitz's three sizes (clamped
// outside them), per 64-bit access / 8, scaled to (node, vdd).
double sram_pj_per_byte(double bytes, double node_nm, double vdd);
// DRAM energy per byte: the middle of Horowitz's 1.3-2.6 nJ per 64-bit access, / 8 (not node-scaled).
inline double dram_pj_per_byte() { return (kDramPjPer64bLow + kDramPjPer64bHigh) / 2 / 8; }
// SRAM area per KiB at node_nm (um^2), from the 65 nm figure by the area rule.
inline double sram_um2_per_kib(double node_nm) { return scale_area(kSramUm2PerKiB, kSramAreaNodeNm, node_nm); }

}  // namespace mxlab::cost
