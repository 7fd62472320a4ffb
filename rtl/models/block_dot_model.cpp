// Block dot-product model: exact integer block sum, scale by exponent add, one RNE rounding into the accumulator.
#include "rtl/models/block_dot_model.hpp"

#include <stdexcept>

#include "rtl/models/elem_fixed.hpp"

namespace mxlab::rtl {

ExactValue block_value(const BlockPair& p, BlockScale scale) {
  if (p.a.size() != p.b.size()) throw std::invalid_argument("block_value: A and B blocks differ in length");
  ExactValue v;
  // Scales: E8M0 = 2^(x - 127), 0xFF NaN (OCP MX v1.0 5.4); UE4M3 = unsigned E4M3, 0x7F NaN, may be 0.
  const Elem se = scale == BlockScale::e8m0 ? Elem::e8m0 : Elem::ue4m3;
  const FixedElem sa = decode_fixed(se, p.xa), sb = decode_fixed(se, p.xb);
  bool pinf = false, ninf = false, nan_in = sa.nan || sb.nan, zero_inf = false;
  __int128 sum = 0;
  for (std::size_t i = 0; i < p.a.size(); ++i) {
    const FixedElem x = decode_fixed(p.ea, p.a[i]), y = decode_fixed(p.eb, p.b[i]);
    const bool neg = x.neg != y.neg;
    nan_in = nan_in || x.nan || y.nan;
    if (x.nan || y.nan) continue;
    if (x.inf || y.inf) {
      if ((x.inf ? y.sig : x.sig) == 0) zero_inf = true;  // 0 x Inf
      else (neg ? ninf : pinf) = true;
      continue;
    }
    const __int128 prod = static_cast<__int128>(x.sig * y.sig) << (x.sh + y.sh);
    sum += neg ? -prod : prod;
  }
  const bool scale_zero = sa.sig == 0 || sb.sig == 0;  // UE4M3 only
  const bool any_inf = pinf || ninf;
  if (nan_in || zero_inf || (pinf && ninf) || (any_inf && scale_zero)) {
    v.nan = true;
    v.nan_flags = nan_in ? kNanIn : kInvalid;
    return v;
  }
  if (any_inf) {
    v.inf = true;
    v.neg = ninf;
    return v;
  }
  v.neg = sum < 0;
  const auto mag = static_cast<unsigned __int128>(sum < 0 ? -sum : sum);
  v.mag = mag * sa.sig * sb.sig;
  v.exp = elem_lsb(p.ea) + elem_lsb(p.eb) + sa.sh + sb.sh + 2 * elem_lsb(se);
  return v;
}

AccResult BlockDotModel::step(const BlockPair& p) {
  if (p.clear) acc_ = 0;
  const AccResult r = acc_add(f_, acc_, block_value(p, scale_));
  acc_ = r.bits;
  return r;
}

}  // namespace mxlab::rtl
