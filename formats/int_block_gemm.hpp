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
#pragma once
#include <span>

#include "formats/exact_gemm.hpp"

namespace mxlab {

// Whether int_block_gemm computes A W^T for these operands (see above).
bool int_block_gemm_supports(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc);

// out (a.rows x w.rows, row-major) = exact_gemm(a, w, acc) bit for bit. OpenMP over rows of A. Throws
// std::invalid_argument when !int_block_gemm_supports(a, w, acc) or the shapes do not match.
void int_block_gemm(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out);

// Whether int_block_gemm uses its AVX-512 VNNI kernel (the CPU has it and MXLAB_NO_AVX512 is unset); else AVX2.
bool int_block_gemm_vnni();

// exact_gemm through int_block_gemm when it supports the operands, else exact_gemm itself.
void exact_gemm_fast(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out);

}  // namespace mxlab
