// The integer block GEMM's activation encoder (formats/int_block_gemm.hpp): float32 rows straight to the kernel's
// layout (u8 = element + 128 in lsb units, one power-of-two scale per block) in one pass per block, where
// ExactMatrix::quantize runs fake_quantize, the reference scale encoder and three fixed-point copies. The same
// arithmetic as the reference MX codec (block_codecs.cpp scale_mx / elements_mx, OCP MX v1.0 section 6.3):
// X = floor(log2(amax)) - emax_elem clamped to [-127, 127], P_i = RNE(V_i / 2^X) on the element grid, saturated
// to +-max normal. V_i 2^(-X - lsb) is exact in double (a power-of-two scaling of a float32), so rounding it is
// rounding the exact quotient.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "formats/block_codecs.hpp"
#include "formats/dot.hpp"
#include "formats/element.hpp"
#include "formats/int_block_gemm.hpp"

namespace mxlab {
namespace {

double pow2(int k) { return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52); }  // |k| <= 1022

// |v| (lsb units, exact) rounded half-even onto the grid of an element with `mbits` mantissa bits whose lsb is 1:
// the quantum is 2^max(0, floor(log2 |v|) - mbits) (1 for subnormals and integers: mbits = 63).
double round_to_grid(double v, int mbits) {
  const int e = static_cast<int>((std::bit_cast<std::uint64_t>(v) >> 52) & 0x7FF) - 1023;  // v = 0: e < 0
  const int qe = std::max(e - mbits, 0);
  return std::rint(v * pow2(-qe)) * pow2(qe);
}

struct Encoder {
  int block, cols, lsb, scale_emax, mbits;
  double max_fixed;  // max normal in lsb units

  // One row; false when a block holds a NaN or Inf. Scale exponents (X + lsb) go to `range`.
  bool row(const float* x, std::uint8_t* out, float* scale, IntBlockScales& range) const {
    for (int first = 0, b = 0; first < cols; first += block, ++b) {
      const int n = std::min(block, cols - first);
      std::uint32_t amax_bits = 0;  // |x| as bits: ordered like the magnitudes; NaN and Inf at or above 0x7F800000
      for (int i = 0; i < n; ++i) amax_bits = std::max(amax_bits, std::bit_cast<std::uint32_t>(x[first + i]) & 0x7FFFFFFFu);
      if (amax_bits >= 0x7F800000u) return false;
      const float amax = std::bit_cast<float>(amax_bits);
      const int X = amax == 0 ? -127 : std::clamp(std::ilogb(amax) - scale_emax, -127, 127);
      const double to_fixed = pow2(-X - lsb);
      std::uint8_t* o = out + first;
      for (int i = 0; i < n; ++i) {
        const double v = static_cast<double>(x[first + i]) * to_fixed;
        const double r = std::min(mbits >= 52 ? std::rint(std::fabs(v)) : round_to_grid(std::fabs(v), mbits), max_fixed);
        const int k = static_cast<int>(r);
        o[i] = static_cast<std::uint8_t>(128 + (v < 0 ? -k : k));
      }
      scale[b] = std::ldexp(1.0f, X + lsb);
      range.add(X + lsb);
    }
    return true;
  }
};

double max_fixed(const FormatTraits& t) {  // the element's max normal in lsb units (integers: max_normal is k)
  const ElemSpec& e = t.element();
  return e.is_int ? e.max_normal : std::ldexp(e.max_normal, -format_elem_lsb(t));
}

}  // namespace

bool int_block_encodes(Format f) {
  const FormatTraits& t = traits(f);
  return t.family == Family::mx && t.encode_scale_ref == &codecs::scale_mx && t.encode_elements_ref == &codecs::elements_mx &&
         max_fixed(t) <= 127;
}

std::optional<IntBlockA> encode_int_block_acts(Format f, const QuantConfig& cfg, std::span<const float> x, int rows,
                                               int cols) {
  const FormatTraits& t = traits(f);
  if (!int_block_encodes(f)) return std::nullopt;
  if (cfg.round != Round::even || cfg.flush_subnormal_inputs || rows < 0 || cols <= 0 ||
      x.size() != static_cast<std::size_t>(rows) * cols)
    return std::nullopt;
  const ElemSpec& e = t.element();
  const int block = resolve_block(t, cfg), lsb = format_elem_lsb(t);
  const Encoder enc{block, cols, lsb, t.scale_emax(), e.is_int ? 63 : e.mbits, max_fixed(t)};
  if (block % 4 != 0 || block > 256) return std::nullopt;
  IntBlockA p;
  const int nblk = (cols + block - 1) / block;
  p.format = f, p.rows = rows, p.cols = cols, p.block = block, p.Kp = nblk * block;
  p.a.assign(static_cast<std::size_t>(rows) * p.Kp, 128);  // padding: element 0
  p.scale.assign(static_cast<std::size_t>(rows) * nblk, 0.0f);
  bool finite = true;
#pragma omp parallel if (rows > 1 && x.size() > 4096)
  {
    IntBlockScales range;
    bool ok = true;
#pragma omp for schedule(static)
    for (int r = 0; r < rows; ++r)
      ok = enc.row(&x[static_cast<std::size_t>(r) * cols], &p.a[static_cast<std::size_t>(r) * p.Kp],
                   &p.scale[static_cast<std::size_t>(r) * nblk], range) && ok;
#pragma omp critical
    {
      finite = finite && ok;
      if (range.lo <= range.hi) p.range.add(range.lo), p.range.add(range.hi);
    }
  }
  if (!finite) return std::nullopt;
  return p;
}

}  // namespace mxlab
