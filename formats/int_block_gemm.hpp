// Integer block GEMM: exact_gemm's arithmetic (formats/exact_gemm.hpp: each block pair's dot product exact, the
// FP32 accumulator rounded once per block, in K order) computed with AVX2 integer multiply-adds. MX elements are
// small fixed-point numbers: MXINT8 k/64, MXINT4 k/4, MXFP4 E2M1 k/2 (|k| <= 12), MXFP6 E2M3 k/8 (|k| <= 60), so a
// block's dot product is an exact int32 sum of int8 x int8 products; it is converted to float exactly (|sum| <
// 2^24), multiplied by the power-of-two product of the two E8M0 scales exactly, and added to the float
// accumulator (one round-to-nearest-even per block, as acc_add does). The result equals exact_gemm bit for bit.
// Kernels: AVX2 vpmaddubsw/vpmaddwd (the x86-64-v3 baseline), or AVX-512 VNNI vpdpbusd where the CPU has it.
//
// Covered: both operands with E8M0 (power-of-two) scales and the same block size (a multiple of 4, <= 256),
// activations (A) with |element| <= 127 in lsb units and weights (W) with |element| <= 63 (vpmaddubsw pairs of
// u8 x s8 products must not saturate int16), no NaN block, an FP32 accumulator, block scale products within
// 2^-149 .. 2^105. So A: mxint8, mxint4, mxfp4_e2m1, mxfp6_e2m3; W: mxint4, mxfp4_e2m1, mxfp6_e2m3. Not covered
// (exact_gemm computes them): MXFP8 and MXFP6 E3M2 (their elements span 2^9..2^17 lsb units: not int8), MXINT8
// weights (127 x 255 saturates vpmaddubsw), FP32-scaled INT/FP groups and NVFP4 (scales not powers of two, so
// the scaled block sum is not exact in float), other accumulator formats.
//
// The operands in the kernels' layouts: IntBlockW (weights, packed once and kept, e.g. per model layer) and
// IntBlockA (activations, per call; encode_int_block_acts builds it straight from float32 in one pass).
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "formats/exact_gemm.hpp"

namespace mxlab {

// Block scales of one operand as powers of two, 2^(X + lsb) (the E8M0 scale times the element lsb), one float per
// block in the layout the kernel reads, and the range of their exponents.
struct IntBlockScales {
  int lo = 1 << 20, hi = -(1 << 20);  // smallest / largest log2 of a block scale (lo > hi when there is none)
  void add(int e) { lo = e < lo ? e : lo, hi = e > hi ? e : hi; }
};

// W (rows x cols) repacked for L-lane vectors (L = 16 with VNNI, else 8): [tile of L rows][k / 4][lane][4 bytes],
// K padded to whole blocks with zeros; per tile and block, 128 * (the block's element sum) and the block scale,
// in lane order. About 1.25 bytes per weight.
struct IntBlockW {
  Format format{};
  int rows = 0, cols = 0, block = 0, lanes = 0, ntiles = 0, nblk = 0, Kp = 0;
  std::vector<std::int8_t> w;
  std::vector<std::int32_t> sum128;
  std::vector<float> scale;
  IntBlockScales range;
};

// A (rows x cols): u8 = element + 128 (lsb units), each row padded to Kp with element 0; per row and block the
// scale 2^(X + lsb) as a float.
struct IntBlockA {
  Format format{};
  int rows = 0, cols = 0, block = 0, Kp = 0;
  std::vector<std::uint8_t> a;
  std::vector<float> scale;  // rows x Kp / block
  IntBlockScales range;
};

// Whether W alone is covered (E8M0 scales, block a multiple of 4 and <= 256, |element| <= 63, no NaN block, unit
// tensor scales); then the packed form for the CPU's kernel, else nullopt.
std::optional<IntBlockW> pack_int_block_weights(const ExactMatrix& w);
// The same from the one-pass encoding of the weights (encode_int_block_acts on W's rows): equal to packing
// ExactMatrix::quantize's result, without building it; nullopt when an element exceeds 63.
std::optional<IntBlockW> pack_int_block_weights(const IntBlockA& encoded);
// A's side likewise (|element| <= 127); nullopt when A alone is not covered.
std::optional<IntBlockA> pack_int_block_acts(const ExactMatrix& a);
// One pass from float32 rows (row-major rows x cols) to A's packed form, the same codes and scales as
// pack_int_block_acts(ExactMatrix::quantize(f, cfg, x, rows, cols)) (tested bit for bit): MX formats with
// |element| <= 127 lsb units, round-half-even, no subnormal flushing. nullopt for anything else, and for a block
// holding a NaN or Inf (the caller then takes the ExactMatrix path, which gives such a block a NaN scale).
std::optional<IntBlockA> encode_int_block_acts(Format f, const QuantConfig& cfg, std::span<const float> x, int rows,
                                               int cols);

// Whether encode_int_block_acts encodes format f at its default settings (an MX format with |element| <= 127 lsb
// units): where a runtime's activations are in f, packing its weights for int_block_gemm pays.
bool int_block_encodes(Format f);

// Whether int_block_gemm computes A W^T for these operands (see above).
bool int_block_gemm_supports(const IntBlockA& a, const IntBlockW& w, const AccFormat& acc);
bool int_block_gemm_supports(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc);

// out (a.rows x w.rows, row-major) = exact_gemm(a, w, acc) bit for bit. OpenMP over rows of A. Throws
// std::invalid_argument when the operands are not supported or the shapes do not match.
void int_block_gemm(const IntBlockA& a, const IntBlockW& w, const AccFormat& acc, std::span<float> out);
void int_block_gemm(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out);

// Whether the CPU has AVX-512 VNNI and MXLAB_NO_AVX512 is unset: pack_int_block_weights then packs for the VNNI
// kernel (16 lanes), else for AVX2 (8 lanes); int_block_gemm runs the kernel the weights were packed for.
bool int_block_gemm_vnni();

// exact_gemm through int_block_gemm when it supports the operands, else exact_gemm itself.
void exact_gemm_fast(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out);

}  // namespace mxlab
