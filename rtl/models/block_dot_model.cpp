// Block dot unit model: the port-level block pair handed to the one exact dot product of formats/, the streaming
// accumulator, and the tensor-scale epilogue.
#include "rtl/models/block_dot_model.hpp"

#include <stdexcept>

namespace mxlab::rtl {

std::array<std::uint8_t, 8> scale_port_bytes(std::uint64_t x) {
  std::array<std::uint8_t, 8> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(x >> (8 * i));
  return b;
}

ExactValue block_value(const BlockPair& p, ScaleType scale) {
  const std::array<std::uint8_t, 8> xa = scale_port_bytes(p.xa), xb = scale_port_bytes(p.xb);
  return mxlab::block_value({p.ea, scale_elem_lsb(p.ea, scale), scale, xa.data(), p.a},
                            {p.eb, scale_elem_lsb(p.eb, scale), scale, xb.data(), p.b});
}

AccResult tensor_scale(const AccFormat& f, std::uint64_t acc, std::uint64_t alpha) {
  if (2 * (f.mbits + 1) > 100)
    throw std::invalid_argument("tensor_scale: the " + f.name() + " significand product exceeds 100 bits");
  const std::uint64_t emax = (std::uint64_t{1} << f.ebits) - 1, mmask = (std::uint64_t{1} << f.mbits) - 1;
  struct Field {
    bool neg, nan, inf, zero;
    std::uint64_t sig;
    int exp;  // value = sig 2^exp
  };
  auto field = [&](std::uint64_t x) {
    const std::uint64_t e = (x >> f.mbits) & emax, m = x & mmask;
    return Field{((x >> (f.ebits + f.mbits)) & 1) != 0, e == emax && m != 0, e == emax && m == 0, e == 0 && m == 0,
                 e ? m | (mmask + 1) : m, static_cast<int>(e ? e : 1) - f.bias() - f.mbits};
  };
  const Field a = field(acc), b = field(alpha);
  const bool neg = a.neg != b.neg;
  const std::uint64_t sign = std::uint64_t{neg} << (f.ebits + f.mbits), inf = emax << f.mbits;
  if (a.nan) return {f.canonical_nan(), 0};
  if (b.nan) return {f.canonical_nan(), kNanIn};
  if ((a.inf && b.zero) || (b.inf && a.zero)) return {f.canonical_nan(), kInvalid};
  if (a.inf || b.inf) return {sign | inf, 0};
  if (a.zero || b.zero) return {sign, 0};
  ExactValue v;
  v.neg = neg;
  v.mag = static_cast<unsigned __int128>(a.sig) * b.sig;
  v.exp = a.exp + b.exp;
  return acc_add(f, 0, v);
}

AccResult BlockDotModel::step(const BlockPair& p) {
  if (p.clear) acc_ = 0;
  const AccResult r = acc_add(f_, acc_, block_value(p, scale_));
  acc_ = r.bits;
  if (!p.alpha) return r;
  const AccResult e = tensor_scale(f_, r.bits, *p.alpha);
  return {e.bits, r.flags | e.flags};
}

}  // namespace mxlab::rtl
