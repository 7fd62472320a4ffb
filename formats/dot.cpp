// Exact block value: decode scales and elements to fixed point, sum the products as integers, add exponents.
#include "formats/dot.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mxlab {

ExactScale decode_scale(ScaleType s, const std::uint8_t* bytes) {
  ExactScale r;
  switch (s) {
    case ScaleType::e8m0:  // OCP MX v1.0 5.4: 2^(code - 127), 0xFF = NaN
      r.nan = bytes[0] == 0xFF;
      r.sig = 1;
      r.exp = static_cast<int>(bytes[0]) - 127;
      return r;
    case ScaleType::ue4m3: {  // unsigned E4M3: sig * 2^(sh + lsb), 0x7F = NaN, may be 0
      const FixedElem f = decode_fixed(Elem::ue4m3, bytes[0]);
      r.nan = f.nan;
      r.sig = f.sig;
      r.exp = f.sh + elem_lsb(Elem::ue4m3);
      return r;
    }
    case ScaleType::fp32:
    case ScaleType::fp32_zero:
    case ScaleType::vq_codebook: {  // IEEE binary32, little-endian (VQ: the codebook's scale); non-finite: NaN block
      std::uint32_t b;
      std::memcpy(&b, bytes, 4);
      const std::uint32_t e = (b >> 23) & 0xFF, m = b & 0x7FFFFF;
      r.nan = e == 0xFF;
      r.neg = (b >> 31) != 0;
      r.sig = e ? (m | 0x800000u) : m;
      r.exp = static_cast<int>(std::max<std::uint32_t>(e, 1)) - 150;
      if (s == ScaleType::fp32_zero) r.zero = bytes[4];
      return r;
    }
  }
  throw std::invalid_argument("decode_scale: unknown scale type");
}

int format_elem_lsb(const FormatTraits& t) { return t.element().is_int ? -t.frac_bits : elem_lsb(t.elem); }

int scale_elem_lsb(Elem e, ScaleType s) {
  for (const FormatTraits& t : format_table())
    if (t.elem == e && t.scale == s) return format_elem_lsb(t);
  return elem_lsb(e);
}

BlockOperand block_operand(const FormatTraits& t, const std::uint8_t* scale_bytes, std::span<const std::uint8_t> codes) {
  return {t.elem, format_elem_lsb(t), t.scale, scale_bytes, codes};
}

FixedElem operand_element(const BlockOperand& o, const ExactScale& s, std::size_t i) {
  if (o.scale != ScaleType::fp32_zero) return decode_fixed(o.elem, o.codes[i]);
  const int k = static_cast<int>(o.codes[i] & ((1u << elem_spec(o.elem).bits) - 1)) - s.zero;
  FixedElem f;
  f.neg = k < 0;
  f.sig = static_cast<std::uint32_t>(k < 0 ? -k : k);
  return f;
}

ExactValue block_value(const BlockOperand& a, const BlockOperand& b) {
  if (a.codes.size() != b.codes.size()) throw std::invalid_argument("block_value: A and B blocks differ in length");
  ExactValue v;
  const ExactScale sa = decode_scale(a.scale, a.scale_bytes), sb = decode_scale(b.scale, b.scale_bytes);
  bool pinf = false, ninf = false, nan_in = sa.nan || sb.nan, zero_inf = false;
  __int128 sum = 0;
  for (std::size_t i = 0; i < a.codes.size(); ++i) {
    const FixedElem x = operand_element(a, sa, i), y = operand_element(b, sb, i);
    const bool neg = x.neg != y.neg;
    nan_in = nan_in || x.nan || y.nan;
    if (x.nan || y.nan) continue;
    if (x.inf || y.inf) {
      if ((x.inf ? y.sig : x.sig) == 0) zero_inf = true;  // 0 x Inf
      else (neg ? ninf : pinf) = true;
      continue;
    }
    const __int128 prod = static_cast<__int128>(std::uint64_t{x.sig} * y.sig) << (x.sh + y.sh);
    sum += neg ? -prod : prod;
  }
  const bool scale_zero = sa.sig == 0 || sb.sig == 0;
  const bool any_inf = pinf || ninf;
  if (nan_in || zero_inf || (pinf && ninf) || (any_inf && scale_zero)) {
    v.nan = true;
    v.nan_flags = nan_in ? kNanIn : kInvalid;
    return v;
  }
  if (any_inf) {
    v.inf = true;
    v.neg = ninf != (sa.neg != sb.neg);
    return v;
  }
  v.neg = (sum < 0) != (sa.neg != sb.neg) && sum != 0;
  const auto mag = static_cast<unsigned __int128>(sum < 0 ? -sum : sum);
  v.mag = mag * sa.sig * sb.sig;
  if (v.mag == 0) v.neg = false;
  v.exp = a.lsb + b.lsb + sa.exp + sb.exp;
  return v;
}

}  // namespace mxlab
