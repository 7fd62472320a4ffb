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
std::uint8_t one_scale(ScaleType s) { return s == ScaleType::e8m0 ? 127 : 0x38; }  // 2^0 (UE4M3 1.0 = 0x38)
std::uint8_t nan_scale(ScaleType s) { return s == ScaleType::e8m0 ? 0xFF : 0x7F; }
}  // namespace

std::vector<BlockVector> random_blocks(const StimulusSpec& s, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](const std::vector<Elem>& v) { return v[rng() % v.size()]; };
  auto scale = [&]() -> std::uint8_t {
    const unsigned r = rng() % 16;
    if (r == 0) return static_cast<std::uint8_t>(rng());  // any byte (UE4M3: bit 7 is a don't-care bit)
    if (s.scale == ScaleType::e8m0) return static_cast<std::uint8_t>(103 + rng() % 49);
    return static_cast<std::uint8_t>(0x30 + rng() % 0x19);
  };
  std::vector<BlockVector> out(count);
  for (BlockVector& v : out) {
    v.ea = pick(s.elems_a);
    v.eb = pick(s.elems_b);
    v.clear = std::bernoulli_distribution(s.clear_prob)(rng);
    v.xa = scale();
    v.xb = scale();
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
  const std::uint8_t one = one_scale(s.scale), nan = nan_scale(s.scale);
  auto add = [&](bool clear, std::uint8_t xa, std::uint8_t xb, auto fa, auto fb) {
    BlockVector v;
    v.ea = ea, v.eb = eb, v.clear = clear, v.xa = xa, v.xb = xb;
    for (int i = 0; i < s.n; ++i) v.a.push_back(fa(i)), v.b.push_back(fb(i));
    out.push_back(std::move(v));
  };
  auto zero = [](int) -> std::uint8_t { return 0; };
  auto maxp = [&](int) { return max_code(ea, false); };
  auto maxpb = [&](int) { return max_code(eb, false); };
  auto maxnb = [&](int) { return max_code(eb, true); };
  auto alt = [&](int i) { return max_code(eb, i % 2 != 0); };
  const bool e8 = s.scale == ScaleType::e8m0;
  const std::uint8_t big = e8 ? 254 : 0x7E, tiny = e8 ? 0 : 0x01;
  add(true, one, one, zero, zero);                 // all-zero block
  add(false, one, one, maxp, maxpb);               // all max, positive
  add(false, one, one, maxp, maxnb);               // then all max negative: exact cancellation to +0
  add(false, one, one, maxp, alt);                 // alternating signs cancel inside the block
  add(false, big, big, maxp, maxpb);               // overflow -> +Inf
  add(false, one, one, maxp, maxnb);               // Inf + finite stays Inf
  add(true, big, big, maxp, maxnb);                // -Inf
  add(true, tiny, tiny, maxp, maxpb);              // deep underflow (subnormal or zero result)
  add(false, tiny, tiny, maxp, maxnb);             // cancels to +0
  add(true, e8 ? 20 : 0x08, e8 ? 2 : 0x02, maxp, maxpb);   // result near the subnormal boundary
  add(true, nan, one, maxp, maxpb);                // NaN scale A
  add(false, one, one, maxp, maxpb);               // NaN is sticky until clear
  add(true, one, nan, zero, zero);                 // NaN scale B with zero elements
  add(true, e8 ? 160 : 0x70, e8 ? 160 : 0x70, [&](int i) { return i == 0 ? max_code(ea, false) : 0; }, maxpb);
  add(false, e8 ? 100 : 0x10, e8 ? 100 : 0x10, maxp, alt);  // tiny addends: inexact, sticky bits
  add(false, e8 ? 100 : 0x10, e8 ? 100 : 0x10, maxp, maxpb);
  if (!e8) add(true, 0x00, one, maxp, maxpb);  // UE4M3 zero scale
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
  std::snprintf(buf, sizeof buf, "%02X %02X %X %02X %02X ", static_cast<unsigned>(v.ea), static_cast<unsigned>(v.eb),
                v.clear ? 1u : 0u, v.xa, v.xb);
  s += buf;
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
  std::string ea, eb, clr, xa, xb, a, b, acc, flags;
  if (!(in >> ea >> eb >> clr >> xa >> xb >> a >> b >> acc >> flags) || a.size() != 2u * n || b.size() != 2u * n)
    throw std::invalid_argument("bad golden line (want: ea eb clear xa xb A B acc flags): " + line);
  auto hex = [](const std::string& h) { return std::stoull(h, nullptr, 16); };
  BlockVector v;
  v.ea = static_cast<Elem>(hex(ea));
  v.eb = static_cast<Elem>(hex(eb));
  v.clear = hex(clr) != 0;
  v.xa = static_cast<std::uint8_t>(hex(xa));
  v.xb = static_cast<std::uint8_t>(hex(xb));
  for (const auto& [src, dst] : {std::pair{&a, &v.a}, std::pair{&b, &v.b}})
    for (int i = 0; i < n; ++i) dst->push_back(static_cast<std::uint8_t>(hex(src->substr(2 * (n - 1 - i), 2))));
  v.acc = hex(acc);
  v.flags = static_cast<unsigned>(hex(flags));
  return v;
}

std::string golden_header(const std::string& unit, int n, ScaleType scale, std::uint64_t seed) {
  std::ostringstream o;
  o << "# mxlab golden vectors: unit " << unit << ", N=" << n << ", scales " << (scale == ScaleType::e8m0 ? "E8M0" : "UE4M3")
    << ", FP32 accumulator (RNE once per block), seed " << seed << "\n"
    << "# expected values: the exact reference (rtl/models/oracle_reference.hpp: Boost.Multiprecision rationals)\n"
    << "# columns (hex): elem_a elem_b clear xa xb A B expected_acc expected_flags\n"
    << "# A/B: lane N-1 first, 2 hex digits per lane; flags: 10 invalid, 08 nan_in, 04 overflow, 02 underflow, 01 inexact\n";
  return o.str();
}

}  // namespace mxlab::rtl
