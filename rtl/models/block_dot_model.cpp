// Block dot unit model: the port-level block pair handed to the one exact dot product of formats/.
#include "rtl/models/block_dot_model.hpp"

namespace mxlab::rtl {

ExactValue block_value(const BlockPair& p, ScaleType scale) {
  return mxlab::block_value({p.ea, elem_lsb(p.ea), scale, &p.xa, p.a}, {p.eb, elem_lsb(p.eb), scale, &p.xb, p.b});
}

AccResult BlockDotModel::step(const BlockPair& p) {
  if (p.clear) acc_ = 0;
  const AccResult r = acc_add(f_, acc_, block_value(p, scale_));
  acc_ = r.bits;
  return r;
}

}  // namespace mxlab::rtl
