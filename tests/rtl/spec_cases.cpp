// The hand-written spec table (spec_cases.hpp) and the accumulator setter blocks that let a unit start a case from
// any FP32 accumulator value.
#include "spec_cases.hpp"

namespace mxlab::rtl {
namespace {
constexpr Elem e2m1 = Elem::e2m1, e4m3 = Elem::e4m3, e5m2 = Elem::e5m2, int8 = Elem::int8, e1m2 = Elem::e1m2,
               e3m0 = Elem::e3m0;
constexpr Elem int4 = Elem::int4;
constexpr ScaleType E8 = ScaleType::e8m0, UE = ScaleType::ue4m3, F32 = ScaleType::fp32, FZ = ScaleType::fp32_zero;
constexpr std::uint64_t ONE = 0x3F800000;  // FP32 1.0
constexpr std::uint64_t zp(std::uint64_t fp32, std::uint64_t z) { return fp32 | z << 32; }  // FP32 + zero point
constexpr unsigned NX = kInexact, UF = kUnderflow, OF = kOverflow, NI = kNanIn, IV = kInvalid;
// E2M1 1.0 = 0x2, 0.5 = 0x1, 1.5 = 0x3, 6 = 0x7, -1 = 0xA, -0.5 = 0x9; E1M2 3.5 = 0x7; E3M0 16 = 0x7; E4M3 1.0 = 0x38,
// 2 = 0x40, 256 = 0x78, 448 = 0x7E, 2^-7 = 0x04, NaN 0x7F; E5M2 1.0 = 0x3C, +Inf 0x7C, -Inf 0xFC, NaN 0x7D;
// MXINT8 k/64: 0x40 = 1, 0x80 = -2; E8M0 2^(x-127). INT per group (FP32 scales): integers, INT4 0x7 = 7, 0x8 = -8,
// INT8 0x7F = 127, 0x80 = -128; asymmetric: unsigned code - zero point (INT4 0xF = 15, INT8 0xFF = 255).
}  // namespace

const std::vector<SpecCase>& spec_cases() {
  static const std::vector<SpecCase> cases = {
      {"1 x 1", e2m1, e2m1, E8, 127, 127, {{0x2, 0x2}}, 0, 0x3F800000, 0},
      {"scale exponents add: 2^3 2^-7", e2m1, e2m1, E8, 130, 120, {{0x2, 0x2}}, 0, 0x3D800000, 0},
      {"MXINT8 64/64 x 64/64", int8, int8, E8, 127, 127, {{0x40, 0x40}}, 0, 0x3F800000, 0},
      {"E2M1 6 x E4M3 448", e2m1, e4m3, E8, 127, 127, {{0x7, 0x7E}}, 0, 0x45280000, 0},
      {"E1M2 3.5 x E4M3 2", e1m2, e4m3, E8, 127, 127, {{0x7, 0x40}}, 0, 0x40E00000, 0},
      {"E3M0 16 x E4M3 448", e3m0, e4m3, E8, 127, 127, {{0x7, 0x7E}}, 0, 0x45E00000, 0},
      {"E2M1 0 x E4M3 NaN", e2m1, e4m3, E8, 127, 127, {{0x0, 0x7F}}, 0, 0x7FC00000, NI},
      {"MXINT8 -128/64 x 1", int8, int8, E8, 127, 127, {{0x80, 0x40}}, 0, 0xC0000000, 0},
      {"lanes cancel: exact zero is +0", e2m1, e2m1, E8, 127, 127, {{0x2, 0x2}, {0x2, 0xA}}, 0x80000000, 0, 0},
      {"acc 1 + block -1 = +0", e2m1, e2m1, E8, 127, 127, {{0x2, 0xA}}, 0x3F800000, 0, 0},
      {"1 + 2^-24: tie, to even (down)", e2m1, e2m1, E8, 103, 127, {{0x2, 0x2}}, 0x3F800000, 0x3F800000, NX},
      {"(1 + 2^-23) + 2^-24: tie, to even (up)", e2m1, e2m1, E8, 103, 127, {{0x2, 0x2}}, 0x3F800001, 0x3F800002, NX},
      {"1 + 2^-25: below half", e2m1, e2m1, E8, 102, 127, {{0x2, 0x2}}, 0x3F800000, 0x3F800000, NX},
      {"1 + 2^-24 + 2^-54: sticky above half", e4m3, e4m3, E8, 87, 127, {{0x78, 0x78}, {0x04, 0x04}}, 0x3F800000,
       0x3F800001, NX},
      {"1 + 2^-24 - 2^-54: sticky below half", e4m3, e4m3, E8, 87, 127, {{0x78, 0x78}, {0x04, 0x84}}, 0x3F800000,
       0x3F800000, NX},
      {"max + 2^103: tie to even rounds up: overflow", e2m1, e2m1, E8, 230, 127, {{0x2, 0x2}}, 0x7F7FFFFF, 0x7F800000,
       OF | NX},
      {"max + 2^102: stays max", e2m1, e2m1, E8, 229, 127, {{0x2, 0x2}}, 0x7F7FFFFF, 0x7F7FFFFF, NX},
      {"448^2 x 2 x 2^254: overflow", e4m3, e4m3, E8, 254, 254, {{0x7E, 0x7E}, {0x7E, 0x7E}}, 0, 0x7F800000, OF | NX},
      {"-448^2 x 2^254: overflow to -Inf", e4m3, e4m3, E8, 254, 254, {{0x7E, 0xFE}}, 0, 0xFF800000, OF | NX},
      {"2^-147 exact subnormal: no underflow", e2m1, e2m1, E8, 0, 107, {{0x2, 0x2}}, 0, 0x00000004, 0},
      {"2^-149 exact: no underflow", e2m1, e2m1, E8, 0, 107, {{0x1, 0x1}}, 0, 0x00000001, 0},
      {"2^-150: tie to even gives +0, underflow", e2m1, e2m1, E8, 0, 106, {{0x1, 0x1}}, 0, 0x00000000, UF | NX},
      {"0.75 x 2^-149 rounds up to 2^-149", e2m1, e2m1, E8, 0, 105, {{0x3, 0x1}}, 0, 0x00000001, UF | NX},
      {"-0.25 x 2^-149 rounds to -0", e2m1, e2m1, E8, 0, 105, {{0x1, 0x9}}, 0, 0x80000000, UF | NX},
      {"2^-126 - 2^-151 rounds to 2^-126: tiny before rounding", e2m1, e2m1, E8, 0, 105, {{0x3, 0x1}}, 0x007FFFFF,
       0x00800000, UF | NX},
      {"subnormal + 2^-149 = 2^-126 exactly", e2m1, e2m1, E8, 0, 105, {{0x2, 0x2}}, 0x007FFFFF, 0x00800000, 0},
      {"max + 2^127: overflow", e2m1, e2m1, E8, 254, 127, {{0x2, 0x2}}, 0x7F7FFFFF, 0x7F800000, OF | NX},
      {"E8M0 0xFF: NaN", e2m1, e2m1, E8, 0xFF, 127, {{0x2, 0x2}}, 0, 0x7FC00000, NI},
      {"E8M0 0xFF on zero elements: NaN", e2m1, e2m1, E8, 127, 0xFF, {}, 0x3F800000, 0x7FC00000, NI},
      {"NaN accumulator stays NaN, no flag", e2m1, e2m1, E8, 127, 127, {{0x2, 0x2}}, 0x7FC00000, 0x7FC00000, 0},
      {"NaN accumulator + NaN block: no flag", e2m1, e2m1, E8, 0xFF, 127, {}, 0x7FC00000, 0x7FC00000, 0},
      {"E4M3 NaN x 0", e4m3, e4m3, E8, 127, 127, {{0x7F, 0x00}}, 0, 0x7FC00000, NI},
      {"E5M2 Inf x 0: invalid", e5m2, e5m2, E8, 127, 127, {{0x7C, 0x00}}, 0, 0x7FC00000, IV},
      {"E5M2 Inf x 1", e5m2, e5m2, E8, 127, 127, {{0x7C, 0x3C}}, 0, 0x7F800000, 0},
      {"E5M2 Inf x -1 + 2", e5m2, e5m2, E8, 127, 127, {{0x7C, 0xBC}, {0x3C, 0x40}}, 0, 0xFF800000, 0},
      {"E5M2 +Inf + -Inf: invalid", e5m2, e5m2, E8, 127, 127, {{0x7C, 0x3C}, {0xFC, 0x3C}}, 0, 0x7FC00000, IV},
      {"E5M2 NaN and Inf x 0: nan_in only", e5m2, e5m2, E8, 127, 127, {{0x7D, 0x3C}, {0x7C, 0x00}}, 0, 0x7FC00000, NI},
      {"acc +Inf + block -Inf: invalid", e5m2, e5m2, E8, 127, 127, {{0xFC, 0x3C}}, 0x7F800000, 0x7FC00000, IV},
      {"acc +Inf + block +Inf", e5m2, e5m2, E8, 127, 127, {{0x7C, 0x3C}}, 0x7F800000, 0x7F800000, 0},
      {"acc -Inf + finite", e2m1, e2m1, E8, 254, 254, {{0x7, 0x7}}, 0xFF800000, 0xFF800000, 0},
      {"finite + Inf block: exact, no overflow", e5m2, e5m2, E8, 127, 127, {{0x7C, 0x3C}}, 0x3F800000, 0x7F800000, 0},
      {"UE4M3 0x38 = 1", e2m1, e2m1, UE, 0x38, 0x38, {{0x2, 0x2}}, 0, 0x3F800000, 0},
      {"UE4M3 bit 7 is not part of the value", e2m1, e2m1, UE, 0xB8, 0x38, {{0x2, 0x2}}, 0, 0x3F800000, 0},
      {"UE4M3 0x01 = 2^-9", e2m1, e2m1, UE, 0x01, 0x01, {{0x2, 0x2}}, 0, 0x36800000, 0},
      {"UE4M3 448 x 448 x 36", e2m1, e2m1, UE, 0x7E, 0x7E, {{0x7, 0x7}}, 0, 0x4ADC8000, 0},
      {"UE4M3 0x7F: NaN", e2m1, e2m1, UE, 0x7F, 0x38, {{0x2, 0x2}}, 0, 0x7FC00000, NI},
      {"UE4M3 zero scale: +0", e2m1, e2m1, UE, 0x00, 0x38, {{0x7, 0x7}}, 0, 0x00000000, 0},
      {"UE4M3 zero scale x Inf: invalid", e5m2, e5m2, UE, 0x00, 0x38, {{0x7C, 0x3C}}, 0, 0x7FC00000, IV},
      {"FP16 65536: overflow", e2m1, e2m1, E8, 143, 127, {{0x2, 0x2}}, 0, 0x7C00, OF | NX, {5, 10}},
      {"FP16 2^-24 exact subnormal", e2m1, e2m1, E8, 103, 127, {{0x2, 0x2}}, 0, 0x0001, 0, {5, 10}},
      {"BF16 1 + 2^-8: tie to even", e2m1, e2m1, E8, 119, 127, {{0x2, 0x2}}, 0x3F80, 0x3F80, NX, {8, 7}},
      // FP32 scales (INT per group: integer elements)
      {"FP32 scales 1 x 1: INT4 7 x INT8 127 = 889", int4, int8, F32, ONE, ONE, {{0x7, 0x7F}}, 0, 0x445E4000, 0},
      {"FP32 INT4 -8 x INT8 -128 = 1024", int4, int8, F32, ONE, ONE, {{0x8, 0x80}}, 0, 0x44800000, 0},
      {"FP32 scale -1: negative block", int4, int8, F32, 0xBF800000, ONE, {{0x1, 0x1}}, 0, 0xBF800000, 0},
      {"FP32 scales -1 x -2: positive", int4, int8, F32, 0xBF800000, 0xC0000000, {{0x1, 0x3}}, 0, 0x40C00000, 0},
      {"FP32 1.5 x 1.5 = 2.25", int4, int8, F32, 0x3FC00000, 0x3FC00000, {{0x1, 0x1}}, 0, 0x40100000, 0},
      {"FP32 (1 + 2^-23)^2: 48-bit product rounds", int4, int8, F32, 0x3F800001, 0x3F800001, {{0x1, 0x1}}, 0,
       0x3F800002, NX},
      {"FP32 1.5 (1 + 2^-23): tie, to even (up)", int4, int8, F32, 0x3F800001, 0x3FC00000, {{0x1, 0x1}}, 0,
       0x3FC00002, NX},
      {"FP32 zero scale: +0", int4, int8, F32, 0x00000000, ONE, {{0x7, 0x7F}}, 0, 0x00000000, 0},
      {"FP32 -0 scale: +0", int4, int8, F32, 0x80000000, ONE, {{0x7, 0x7F}}, 0, 0x00000000, 0},
      {"FP32 subnormal scale 2^-149 x 1", int4, int8, F32, 0x00000001, ONE, {{0x1, 0x1}}, 0, 0x00000001, 0},
      {"FP32 2^-149 x 2^127 = 2^-22", int4, int8, F32, 0x00000001, 0x7F000000, {{0x1, 0x1}}, 0, 0x34800000, 0},
      {"FP32 max subnormal x 1: exact", int4, int8, F32, 0x007FFFFF, ONE, {{0x1, 0x1}}, 0, 0x007FFFFF, 0},
      {"FP32 2^-149 x 2^-149: underflow to +0", int4, int8, F32, 0x00000001, 0x00000001, {{0x1, 0x1}}, 0, 0x00000000,
       UF | NX},
      {"FP32 -2^-149 x 2^-149 x 7: rounds to -0", int4, int8, F32, 0x80000001, 0x00000001, {{0x7, 0x1}}, 0,
       0x80000000, UF | NX},
      {"FP32 max x max: overflow", int4, int8, F32, 0x7F7FFFFF, 0x7F7FFFFF, {{0x1, 0x1}}, 0, 0x7F800000, OF | NX},
      {"FP32 -max x max: overflow to -Inf", int4, int8, F32, 0xFF7FFFFF, 0x7F7FFFFF, {{0x1, 0x1}}, 0, 0xFF800000,
       OF | NX},
      {"FP32 +Inf scale: NaN block", int4, int8, F32, 0x7F800000, ONE, {{0x1, 0x1}}, 0, 0x7FC00000, NI},
      {"FP32 -Inf scale on zero elements: NaN", int4, int8, F32, ONE, 0xFF800000, {}, 0, 0x7FC00000, NI},
      {"FP32 NaN scale with the sign bit: NaN", int4, int8, F32, 0xFFFFFFFF, ONE, {{0x1, 0x1}}, 0, 0x7FC00000, NI},
      {"FP32 E2M1 6 x E4M3 448, scales 0.5 x 2", e2m1, e4m3, F32, 0x3F000000, 0x40000000, {{0x7, 0x7E}}, 0, 0x45280000,
       0},
      {"FP32 E4M3 NaN element: NaN", e4m3, e4m3, F32, ONE, ONE, {{0x7F, 0x38}}, 0, 0x7FC00000, NI},
      {"FP32 scale -1: E1M2 3.5 x E4M3 -2 = 7", e1m2, e4m3, F32, 0xBF800000, ONE, {{0x7, 0xC0}}, 0, 0x40E00000, 0},
      // FP32 + zero point (asymmetric INT: element = unsigned code - zero point)
      {"zero points 8 and 0: (0 - 8) x 255", int4, int8, FZ, zp(ONE, 8), zp(ONE, 0), {{0x0, 0xFF}}, 0, 0xC4FF0000, 0},
      // (the other lanes hold code 0 on both sides: element -zero point; one side's zero point 0 keeps them 0)
      {"zero point 255 on A: (15 - 255) x 255", int4, int8, FZ, zp(ONE, 0xFF), zp(ONE, 0), {{0xF, 0xFF}}, 0, 0xC76F1000,
       0},
      {"zero point 255 on B: 7 x (0 - 255)", int4, int8, FZ, zp(ONE, 0), zp(ONE, 0xFF), {{0x7, 0x00}}, 0, 0xC4DF2000, 0},
      {"code = zero point: 0", int4, int8, FZ, zp(ONE, 5), zp(ONE, 0), {{0x5, 0xC8}}, 0, 0x00000000, 0},
      {"zero points 1 and 1: 32 lanes (0 - 1) x (0 - 1) = 32", int4, int8, FZ, zp(ONE, 1), zp(ONE, 1), {}, 0,
       0x42000000, 0},
      {"zero point 0, codes unsigned: 15 x 255", int4, int8, FZ, zp(ONE, 0), zp(ONE, 0), {{0xF, 0xFF}}, 0, 0x456F1000,
       0},
      {"zero-point lanes, scale 2: (1 - 1) x 9 + (3 - 1) x 7", int4, int8, FZ, zp(ONE, 1), zp(0x40000000, 0),
       {{0x1, 0x9}, {0x3, 0x7}}, 0, 0x41E00000, 0},
      {"zero point, scale -0.5: (0 - 1) x (2 - 0) = -2 x -0.5", int4, int8, FZ, zp(0xBF000000, 1), zp(ONE, 0),
       {{0x0, 0x2}}, 0, 0x3F800000, 0},
      {"zero point, NaN scale", int4, int8, FZ, zp(0x7FC00000, 3), zp(ONE, 3), {{0x3, 0x3}}, 0, 0x7FC00000, NI},
      {"zero point, subnormal scales: underflow", int4, int8, FZ, zp(0x00000001, 0), zp(0x00000001, 0), {{0xF, 0xFF}},
       0, 0x00000000, UF | NX},
      // tensor-scale epilogue (NVFP4 blocks; output = RNE(acc * alpha), flags of both)
      {"epilogue 1 x 3", e2m1, e2m1, UE, 0x38, 0x38, {{0x2, 0x2}}, 0, 0x40400000, 0, {}, 0x40400000},
      {"epilogue acc 1 x alpha -0 = -0", e2m1, e2m1, UE, 0x38, 0x38, {{0x2, 0x2}}, 0, 0x80000000, 0, {}, 0x80000000},
      {"epilogue acc -1 x alpha -2 = 2", e2m1, e2m1, UE, 0x38, 0x38, {{0x2, 0xA}}, 0, 0x40000000, 0, {}, 0xC0000000},
      {"epilogue alpha NaN: nan_in", e2m1, e2m1, UE, 0x38, 0x38, {{0x2, 0x2}}, 0, 0x7FC00000, NI, {}, 0x7FC00001},
      {"epilogue alpha +Inf", e2m1, e2m1, UE, 0x38, 0x38, {{0x2, 0x2}}, 0, 0x7F800000, 0, {}, 0x7F800000},
      {"epilogue acc +0 x alpha Inf: invalid", e2m1, e2m1, UE, 0x38, 0x38, {}, 0, 0x7FC00000, IV, {}, 0x7F800000},
      {"epilogue NaN block: NaN, nan_in once", e2m1, e2m1, UE, 0x7F, 0x38, {{0x2, 0x2}}, 0, 0x7FC00000, NI, {},
       0x00000000},
      {"epilogue 1 x 2^-149: exact subnormal", e2m1, e2m1, UE, 0x38, 0x38, {{0x2, 0x2}}, 0, 0x00000001, 0, {},
       0x00000001},
      {"epilogue 0.5 x 2^-149: tie to even gives +0", e2m1, e2m1, UE, 0x38, 0x38, {{0x1, 0x2}}, 0, 0x00000000, UF | NX,
       {}, 0x00000001},
      {"epilogue 0.75 x 2^-149 rounds up to 2^-149", e2m1, e2m1, UE, 0x38, 0x38, {{0x1, 0x3}}, 0, 0x00000001, UF | NX,
       {}, 0x00000001},
      {"epilogue 2^-20 x 2^-110 = 2^-130 exact", e2m1, e2m1, UE, 0x01, 0x01, {{0x1, 0x1}}, 0, 0x00080000, 0, {},
       0x08800000},
      {"epilogue 1.5 (1 + 2^-23): tie, to even (up)", e2m1, e2m1, UE, 0x38, 0x38, {{0x3, 0x2}}, 0, 0x3FC00002, NX, {},
       0x3F800001},
      {"epilogue 448^2 36 x max: overflow", e2m1, e2m1, UE, 0x7E, 0x7E, {{0x7, 0x7}}, 0, 0x7F800000, OF | NX, {},
       0x7F7FFFFF},
  };
  return cases;
}


BlockVector spec_block(const SpecCase& c) {
  BlockVector v;
  v.ea = c.ea, v.eb = c.eb, v.xa = c.xa, v.xb = c.xb, v.alpha = c.alpha;
  const int n = c.scale == UE ? 16 : 32;
  v.a.assign(n, 0), v.b.assign(n, 0);
  for (std::size_t i = 0; i < c.lanes.size(); ++i) v.a[i] = c.lanes[i].first, v.b[i] = c.lanes[i].second;
  return v;
}

namespace {
std::uint8_t e4m3_pow2(int k) { return static_cast<std::uint8_t>((k + 7) << 3); }  // 2^k, k in [-6, 8]: normal
BlockVector e4m3_block(int lanes, int scale_exp) {  // clear, zero lanes, X_A X_B = 2^scale_exp
  BlockVector v;
  v.ea = v.eb = e4m3;
  v.clear = true;
  v.a.assign(lanes, 0), v.b.assign(lanes, 0);
  const int t = scale_exp + 254;
  v.xa = static_cast<std::uint8_t>(t / 2), v.xb = static_cast<std::uint8_t>(t - t / 2);
  return v;
}
}  // namespace

std::vector<BlockVector> fp32_setter_blocks(std::uint32_t bits, int lanes) {
  const bool neg = bits >> 31;
  const std::uint32_t e = (bits >> 23) & 0xFF, m = bits & 0x7FFFFF;
  if ((bits & 0x7FFFFFFF) == 0) {
    if (!neg) return {};
    BlockVector v = e4m3_block(lanes, -139);  // -2^-12 2^-139 = -2^-151: below half the smallest subnormal -> -0
    v.a[0] = e4m3_pow2(-6), v.b[0] = static_cast<std::uint8_t>(0x80 | e4m3_pow2(-6));
    return {v};
  }
  if (e == 0xFF && m != 0) {
    BlockVector v = e4m3_block(lanes, 0);
    v.xa = 0xFF;  // NaN scale
    return {v};
  }
  if (e == 0xFF) {
    BlockVector v = e4m3_block(lanes, 0);
    v.xa = v.xb = 254;  // 448^2 2^254 overflows
    v.a[0] = 0x7E, v.b[0] = static_cast<std::uint8_t>(neg ? 0xFE : 0x7E);
    return {v};
  }
  // value = sig 2^(max(e, 1) - 150) = sum over set bits j of sig of 2^(j - 12) times 2^(max(e, 1) - 138)
  const std::uint32_t sig = e ? (m | 0x800000u) : m;
  BlockVector v = e4m3_block(lanes, static_cast<int>(e ? e : 1) - 138);
  for (int j = 0, lane = 0; j < 24; ++j)
    if ((sig >> j) & 1u) {
      const int p = j - 12, ka = p >> 1;  // 2^p = 2^ka 2^(p - ka), both in [-6, 6]
      v.a[lane] = e4m3_pow2(ka);
      v.b[lane++] = static_cast<std::uint8_t>((neg ? 0x80 : 0) | e4m3_pow2(p - ka));
    }
  return {v};
}

}  // namespace mxlab::rtl
