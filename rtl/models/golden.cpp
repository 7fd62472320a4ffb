// Seeded stimulus, adversarial block pairs and golden-vector text lines for the block dot units.
#include "rtl/models/golden.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace mxlab::rtl {
namespace {
std::uint8_t max_code(Elem e, bool neg) {  // largest finite magnitude code
  const ElemSpec& s = elem_spec(e);
  std::uint32_t c;
  if (s.is_int) c = (1u << (s.bits - 1)) - 1;
  else if (s.specials == Specials::ocp_e4m3) c = 0x7E;
  else if (s.specials == Specials::ieee) c = 0x7B;
  else c = (1u << (s.bits - 1)) - 1;
  if (neg) c = s.is_int ? ((1u << s.bits) - c) : (c | (1u << (s.bits - 1)));
  return static_cast<std::uint8_t>(c & ((1u << s.bits) - 1));
}
bool fp32_scale(ScaleType s) { return s == ScaleType::fp32 || s == ScaleType::fp32_zero; }
// 2^0 (UE4M3 1.0 = 0x38, FP32 0x3F800000, zero point 0) and a NaN scale
std::uint64_t one_scale(ScaleType s) { return s == ScaleType::e8m0 ? 127 : s == ScaleType::ue4m3 ? 0x38 : 0x3F800000; }
std::uint64_t nan_scale(ScaleType s) { return s == ScaleType::e8m0 ? 0xFF : s == ScaleType::ue4m3 ? 0x7F : 0x7FC00000; }
// FP32 bit patterns of every class (see scale_values)
constexpr std::uint32_t kFp32Classes[] = {
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000, 0x80800000, 0x3F800000, 0xBF800000,
    0x3F800001, 0x3FFFFFFF, 0x40490FDB, 0x0D800000, 0x72800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000,
    0x7FC00000, 0x7F800001, 0xFFFFFFFF};
std::uint64_t with_zero_point(std::uint64_t fp32, unsigned zp) { return fp32 | std::uint64_t{zp & 0xFF} << 32; }
// Zero points at the ends of the range (and its middle) for element type e: 0, 1, the mid code, the max code, 0xFF.
std::vector<unsigned> zero_point_ends(Elem e) {
  const int bits = elem_spec(e).bits;
  return {0u, 1u, 1u << (bits - 1), (1u << bits) - 1, 0xFFu};
}
}  // namespace

std::vector<std::uint64_t> scale_values(ScaleType s, Elem e) {
  std::vector<std::uint64_t> v;
  if (!fp32_scale(s)) {
    for (unsigned c = 0; c < 256; ++c) v.push_back(c);
    return v;
  }
  for (const std::uint32_t x : kFp32Classes) {
    if (s == ScaleType::fp32) v.push_back(x);
    else
      for (const unsigned zp : zero_point_ends(e)) v.push_back(with_zero_point(x, zp));
  }
  return v;
}

std::vector<BlockVector> random_blocks(const StimulusSpec& s, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](const std::vector<Elem>& v) { return v[rng() % v.size()]; };
  auto near_one_fp32 = [&](int spread) {  // random sign and mantissa, exponent 2^0 +- spread
    const auto e = static_cast<std::uint32_t>(127 - spread + static_cast<int>(rng() % (2 * spread + 1)));
    return static_cast<std::uint32_t>((rng() % 4 == 0 ? 0x80000000u : 0u) | e << 23 | (rng() & 0x7FFFFF));
  };
  auto scale = [&](Elem e) -> std::uint64_t {
    const unsigned r = rng() % 16;
    if (!fp32_scale(s.scale)) {
      if (r == 0) return static_cast<std::uint8_t>(rng());  // any byte (UE4M3: bit 7 is a don't-care bit)
      if (s.scale == ScaleType::e8m0) return static_cast<std::uint8_t>(103 + rng() % 49);
      return static_cast<std::uint8_t>(0x30 + rng() % 0x19);
    }
    const std::uint32_t x = r == 0 ? static_cast<std::uint32_t>(rng())
                            : r == 1 ? kFp32Classes[rng() % std::size(kFp32Classes)]
                                     : near_one_fp32(24);
    if (s.scale == ScaleType::fp32) return x;
    const std::vector<unsigned> ends = zero_point_ends(e);
    const unsigned zp = rng() % 4 == 0 ? ends[rng() % ends.size()]
                                       : static_cast<unsigned>(rng() % (1u << elem_spec(e).bits));
    return with_zero_point(x, zp);
  };
  std::vector<BlockVector> out(count);
  for (BlockVector& v : out) {
    v.ea = pick(s.elems_a);
    v.eb = pick(s.elems_b);
    v.clear = std::bernoulli_distribution(s.clear_prob)(rng);
    v.xa = scale(v.ea);
    v.xb = scale(v.eb);
    if (s.tensor_scale) {
      const unsigned r = rng() % 8;
      v.alpha = r == 0 ? static_cast<std::uint32_t>(rng()) : r == 1 ? kFp32Classes[rng() % std::size(kFp32Classes)]
                                                                    : near_one_fp32(20);
    }
    const int ba = elem_spec(v.ea).bits, bb = elem_spec(v.eb).bits;
    const unsigned mode = rng() % 8;  // 0: sparse zeros, 1: max magnitudes, 2: don't-care bits set, else uniform
    v.a.resize(s.n);
    v.b.resize(s.n);
    // a NaN/Inf code is kept in one draw of 8 (uniform codes put one in 22% of E4M3 blocks; it sticks until clear)
    auto code = [&](Elem e, int bits) {
      const auto c = static_cast<std::uint8_t>(rng() & ((1u << bits) - 1));
      return std::isfinite(decode_elem(e, c)) || rng() % 8 == 0 ? c : static_cast<std::uint8_t>(0);
    };
    for (int i = 0; i < s.n; ++i) {
      v.a[i] = code(v.ea, ba);
      v.b[i] = code(v.eb, bb);
      if (mode == 0 && rng() % 2) v.a[i] = 0;
      if (mode == 1 && rng() % 2) v.a[i] = max_code(v.ea, rng() % 2), v.b[i] = max_code(v.eb, rng() % 2);
      if (mode == 2) v.a[i] |= static_cast<std::uint8_t>(rng() << ba), v.b[i] |= static_cast<std::uint8_t>(rng() << bb);
    }
  }
  return out;
}

std::vector<BlockVector> adversarial_blocks(const StimulusSpec& s, Elem ea, Elem eb) {
  std::vector<BlockVector> out;
  const std::uint64_t one = one_scale(s.scale), nan = nan_scale(s.scale);
  // tensor scales the vectors cycle through: +-1, +-0, +-Inf, NaN, min subnormal, max, 2^-140 (subnormal results),
  // 1 + 2^-23 (ties against 1.5 ulp sums), 2^100 (overflow)
  constexpr std::uint32_t alphas[] = {0x3F800000, 0xBF800000, 0x00000000, 0x80000000, 0x7F800000, 0xFF800000,
                                      0x7FC00000, 0x00000001, 0x7F7FFFFF, 0x09800000, 0x3F800001, 0x71800000};
  auto add = [&](bool clear, std::uint64_t xa, std::uint64_t xb, auto fa, auto fb) {
    BlockVector v;
    v.ea = ea, v.eb = eb, v.clear = clear, v.xa = xa, v.xb = xb;
    if (s.tensor_scale) v.alpha = alphas[out.size() % std::size(alphas)];
    for (int i = 0; i < s.n; ++i) v.a.push_back(fa(i)), v.b.push_back(fb(i));
    out.push_back(std::move(v));
  };
  auto zero = [](int) -> std::uint8_t { return 0; };
  auto maxp = [&](int) { return max_code(ea, false); };
  auto maxpb = [&](int) { return max_code(eb, false); };
  auto maxnb = [&](int) { return max_code(eb, true); };
  auto alt = [&](int i) { return max_code(eb, i % 2 != 0); };
  const bool e8 = s.scale == ScaleType::e8m0, f32 = fp32_scale(s.scale);
  // scale with value 2^k: E8M0 127 + k; UE4M3 (k in [-9, 8]) its code; FP32 (k in [-149, 127]) its bits
  auto pow2 = [&](int k) -> std::uint64_t {
    if (e8) return static_cast<std::uint64_t>(127 + k);
    if (!f32) return k < -6 ? std::uint64_t{1} << (k + 9) : static_cast<std::uint64_t>((k + 7) << 3);
    return k < -126 ? std::uint64_t{1} << (k + 149) : static_cast<std::uint64_t>(k + 127) << 23;
  };
  const std::uint64_t big = e8 ? 254 : f32 ? 0x7F7FFFFF : 0x7E, tiny = pow2(e8 ? -127 : f32 ? -149 : -9);
  add(true, one, one, zero, zero);                 // all-zero block
  add(false, one, one, maxp, maxpb);               // all max, positive
  add(false, one, one, maxp, maxnb);               // then all max negative: exact cancellation to +0
  add(false, one, one, maxp, alt);                 // alternating signs cancel inside the block
  add(false, big, big, maxp, maxpb);               // overflow -> +Inf
  add(false, one, one, maxp, maxnb);               // Inf + finite stays Inf
  add(true, big, big, maxp, maxnb);                // -Inf
  add(true, tiny, tiny, maxp, maxpb);              // deep underflow (subnormal or zero result)
  add(false, tiny, tiny, maxp, maxnb);             // cancels to +0
  // result near the subnormal boundary
  add(true, e8 ? 20 : f32 ? pow2(-100) : 0x08, e8 ? 2 : f32 ? pow2(-30) : 0x02, maxp, maxpb);
  add(true, nan, one, maxp, maxpb);                // NaN scale A
  add(false, one, one, maxp, maxpb);               // NaN is sticky until clear
  add(true, one, nan, zero, zero);                 // NaN scale B with zero elements
  const std::uint64_t large = e8 || f32 ? pow2(33) : 0x70, small = e8 || f32 ? pow2(-27) : 0x10;
  add(true, large, large, [&](int i) { return i == 0 ? max_code(ea, false) : 0; }, maxpb);
  add(false, small, small, maxp, alt);  // tiny addends: inexact, sticky bits
  add(false, small, small, maxp, maxpb);
  if (!e8) add(true, 0x00, one, maxp, maxpb);  // zero scale
  if (!f32) return out;
  // FP32 scales: signs, -0, subnormal, Inf (a NaN block), NaN with its sign bit set, a 1 + 2^-23 significand product
  add(true, 0xBF800000, one, maxp, maxpb);        // negative scale
  add(false, 0xBF800000, 0xBF800000, maxp, alt);  // both negative
  add(true, 0x80000000, one, maxp, maxpb);        // -0: +0 block
  add(true, 0x007FFFFF, 0x7F000000, maxp, maxnb);  // max subnormal x 2^127
  add(true, 0x80000001, 0x00000001, maxp, maxpb);  // -min subnormal^2: rounds to -0
  add(true, 0x7F800000, one, zero, zero);           // Inf scale: NaN block
  add(true, one, 0xFFFFFFFF, maxp, maxpb);          // -NaN scale
  add(true, 0x3F800001, 0x3FC00000, [&](int i) { return i == 0 ? max_code(ea, false) : 0; }, maxpb);
  if (s.scale != ScaleType::fp32_zero) return out;
  // zero points at the range ends: code - 0xFF, max code - max code = 0, 0 - max code
  const unsigned za = (1u << elem_spec(ea).bits) - 1, zb = (1u << elem_spec(eb).bits) - 1;
  add(true, with_zero_point(one, 0xFF), with_zero_point(one, 0xFF), zero, zero);
  auto code_za = [&](int) { return static_cast<std::uint8_t>(za); };
  auto code_zb = [&](int) { return static_cast<std::uint8_t>(zb); };
  add(false, with_zero_point(one, za), with_zero_point(one, zb), code_za, code_zb);
  add(false, with_zero_point(one, za), with_zero_point(0xBF800000, 0), zero, code_zb);
  add(true, with_zero_point(big, 0xFF), with_zero_point(big, 0), zero, code_zb);
  add(true, with_zero_point(nan, 0x80), with_zero_point(one, 1), maxp, maxpb);
  return out;
}

std::vector<BlockVector> adversarial_blocks(const StimulusSpec& s) {
  std::vector<BlockVector> out;
  for (Elem ea : s.elems_a)
    for (Elem eb : s.elems_b) {
      const std::vector<BlockVector> adv = adversarial_blocks(s, ea, eb);
      out.insert(out.end(), adv.begin(), adv.end());
    }
  return out;
}

std::string golden_line(const BlockVector& v) {
  std::string s;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02X %02X %X %02llX %02llX ", static_cast<unsigned>(v.ea),
                static_cast<unsigned>(v.eb), v.clear ? 1u : 0u, static_cast<unsigned long long>(v.xa),
                static_cast<unsigned long long>(v.xb));
  s += buf;
  if (v.alpha) {
    std::snprintf(buf, sizeof buf, "%08llX ", static_cast<unsigned long long>(*v.alpha));
    s += buf;
  }
  for (const auto* codes : {&v.a, &v.b}) {
    for (std::size_t i = codes->size(); i-- > 0;) {
      std::snprintf(buf, sizeof buf, "%02X", (*codes)[i]);
      s += buf;
    }
    s += ' ';
  }
  std::snprintf(buf, sizeof buf, "%08llX %02X", static_cast<unsigned long long>(v.acc), v.flags);
  return s + buf;
}

BlockVector parse_golden_line(const std::string& line, int n) {
  std::istringstream in(line);
  std::vector<std::string> col;
  for (std::string c; in >> c;) col.push_back(c);
  if (col.size() == 9) col.insert(col.begin() + 5, "");
  if (col.size() != 10 || col[6].size() != 2u * n || col[7].size() != 2u * n)
    throw std::invalid_argument("bad golden line (want: ea eb clear xa xb [alpha] A B acc flags): " + line);
  const std::string &ea = col[0], &eb = col[1], &clr = col[2], &xa = col[3], &xb = col[4], &a = col[6], &b = col[7],
                    &acc = col[8], &flags = col[9];
  auto hex = [](const std::string& h) { return std::stoull(h, nullptr, 16); };
  BlockVector v;
  v.ea = static_cast<Elem>(hex(ea));
  v.eb = static_cast<Elem>(hex(eb));
  v.clear = hex(clr) != 0;
  v.xa = hex(xa);
  v.xb = hex(xb);
  if (!col[5].empty()) v.alpha = hex(col[5]);
  for (const auto& [src, dst] : {std::pair{&a, &v.a}, std::pair{&b, &v.b}})
    for (int i = 0; i < n; ++i) dst->push_back(static_cast<std::uint8_t>(hex(src->substr(2 * (n - 1 - i), 2))));
  v.acc = hex(acc);
  v.flags = static_cast<unsigned>(hex(flags));
  return v;
}

std::string golden_header(const std::string& unit, int n, ScaleType scale, std::uint64_t seed) {
  std::ostringstream o;
  o << "# mxlab golden vectors: unit " << unit << ", N=" << n << ", scales " << scale_name(scale)
    << ", FP32 accumulator (RNE once per block), seed " << seed << "\n"
    << "# expected values: the exact reference (rtl/models/oracle_reference.hpp: Boost.Multiprecision rationals)\n"
    << "# columns (hex): elem_a elem_b clear xa xb [alpha] A B expected_acc expected_flags\n"
    << "# xa/xb: scale port values (FP32 + zero point: zero point in bits 39:32); alpha (tensor-scale units only):\n"
    << "# FP32 tensor scale, expected_acc = RNE(acc * alpha), flags of the accumulation and the multiply or-ed\n"
    << "# A/B: lane N-1 first, 2 hex digits per lane; flags: 10 invalid, 08 nan_in, 04 overflow, 02 underflow, 01 inexact\n";
  return o.str();
}

}  // namespace mxlab::rtl
