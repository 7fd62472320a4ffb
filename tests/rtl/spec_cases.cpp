// The hand-written spec table (spec_cases.hpp) and the accumulator setter blocks that let a unit start a case from
// any FP32 accumulator value.
#include "spec_cases.hpp"

namespace mxlab::rtl {
namespace {
constexpr Elem e2m1 = Elem::e2m1, e4m3 = Elem::e4m3, e5m2 = Elem::e5m2, int8 = Elem::int8, e1m2 = Elem::e1m2,
               e3m0 = Elem::e3m0;
constexpr ScaleType E8 = ScaleType::e8m0, UE = ScaleType::ue4m3;
constexpr unsigned NX = kInexact, UF = kUnderflow, OF = kOverflow, NI = kNanIn, IV = kInvalid;
// E2M1 1.0 = 0x2, 0.5 = 0x1, 1.5 = 0x3, 6 = 0x7, -1 = 0xA, -0.5 = 0x9; E1M2 3.5 = 0x7; E3M0 16 = 0x7; E4M3 1.0 = 0x38,
// 2 = 0x40, 256 = 0x78, 448 = 0x7E, 2^-7 = 0x04, NaN 0x7F; E5M2 1.0 = 0x3C, +Inf 0x7C, -Inf 0xFC, NaN 0x7D;
// MXINT8 k/64: 0x40 = 1, 0x80 = -2; E8M0 2^(x-127).
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
  };
  return cases;
}


BlockVector spec_block(const SpecCase& c) {
  BlockVector v;
  v.ea = c.ea, v.eb = c.eb, v.xa = c.xa, v.xb = c.xb;
  const int n = c.scale == E8 ? 32 : 16;
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
