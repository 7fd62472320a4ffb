// Exact quantized GEMM: fixed-point operands, integer block dots, and accumulation that rounds exactly as
// acc_add does. Built with -ffp-contract=off (formats/CMakeLists.txt): TwoSum needs every sum rounded alone.
#include "formats/exact_gemm.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "formats/block_codecs.hpp"
#include "formats/dot.hpp"

namespace mxlab {
namespace {

using i128 = __int128;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();

// The float32 a block's elements are multiplied by when decoded (block_codecs.cpp): MX 2^X, NVFP4
// fl32(ue4m3 * g), INT/FP groups the FP32 scale.
float decode_multiplier(const FormatTraits& t, const std::uint8_t* s, float g) {
  if (t.scale == ScaleType::e8m0) return std::ldexp(1.0f, static_cast<int>(s[0]) - 127);
  if (t.scale == ScaleType::ue4m3) return codecs::nvfp4_divisor(s[0], g);
  float v;
  std::memcpy(&v, s, 4);
  return v;
}

// Every finite signed fixed-point value sig << sh an element type can encode, sorted.
const std::vector<std::int64_t>& element_values(Elem e) {
  static const auto table = [] {
    std::array<std::vector<std::int64_t>, kElemCount> t;
    for (const ElemSpec& s : elem_table()) {
      if (!is_data_elem(s.id)) continue;
      for (std::uint32_t code = 0; code < (1u << s.bits); ++code) {
        const FixedElem f = decode_fixed(s.id, code);
        if (f.nan || f.inf) continue;
        const std::int64_t v = static_cast<std::int64_t>(f.sig) << f.sh;
        t[static_cast<int>(s.id)].push_back(f.neg ? -v : v);
      }
      auto& v = t[static_cast<int>(s.id)];
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
    }
    return t;
  }();
  return table[static_cast<int>(e)];
}

// Fixed-point elements from quantized values and block scales; `verify` checks every value is exactly an
// element of its block (values straight from fake_quantize are, by construction).
ExactMatrix build(const FormatTraits& t, int block, std::span<const float> q, int rows, int cols,
                  std::span<const std::uint8_t> scales, std::vector<float> g, bool verify) {
  ExactMatrix m;
  m.format = t.id, m.block = block, m.rows = rows, m.cols = cols, m.lsb = format_elem_lsb(t);
  m.tensor_scale = std::move(g);
  const int nbr = m.blocks_per_row(), sb = t.scale_bits() / 8;
  const std::size_t nblocks = static_cast<std::size_t>(rows) * nbr;
  if (q.size() != static_cast<std::size_t>(rows) * cols || scales.size() != nblocks * sb)
    throw std::invalid_argument("ExactMatrix: " + std::to_string(q.size()) + " values and " + std::to_string(scales.size()) +
                                " scale bytes do not make a " + std::to_string(rows) + " x " + std::to_string(cols) +
                                " matrix in blocks of " + std::to_string(block));
  m.scale_sig.resize(nblocks), m.scale_exp.resize(nblocks), m.scale.resize(nblocks);
  m.scale_width.resize(nblocks), m.nan.resize(nblocks);
  std::vector<std::int64_t> fixed(q.size(), 0);
  std::uint64_t max_abs = 0;
  const ElemSpec& e = t.element();
  for (int r = 0; r < rows; ++r)
    for (int b = 0; b < nbr; ++b) {
      const std::size_t ib = static_cast<std::size_t>(r) * nbr + b;
      const std::uint8_t* sbytes = &scales[ib * sb];
      const ExactScale s = decode_scale(t.scale, sbytes);
      m.scale_sig[ib] = s.sig, m.scale_exp[ib] = s.exp, m.nan[ib] = s.nan;
      m.scale_width[ib] = static_cast<std::uint8_t>(s.sig ? std::bit_width(s.sig) - std::countr_zero(s.sig) : 0);
      m.scale[ib] = std::ldexp(s.neg ? -double(s.sig) : double(s.sig), s.exp + m.lsb);
      if (s.nan) continue;
      const float mult = decode_multiplier(t, sbytes, m.tensor_scale[r]);
      const double unit = std::ldexp(static_cast<double>(mult), m.lsb);
      // q = fl32(k * unit): exact for power-of-two units (MX); otherwise |k| < 2^18 (FP32-scaled families), so
      // q times the rounded reciprocal is within 2^-5 of the integer k and rounds back to it.
      const double inv_unit = unit == 0 ? 0.0 : 1.0 / unit;
      const int first = b * block, n = std::min(block, cols - first);
      for (int i = 0; i < n; ++i) {
        const std::size_t idx = static_cast<std::size_t>(r) * cols + first + i;
        const double k = unit == 0 ? 0.0 : std::rint(q[idx] * inv_unit);
        if (verify) {
          const auto ki = static_cast<std::int64_t>(k);
          const bool valid = t.scale == ScaleType::fp32_zero
                                 ? ki + s.zero >= 0 && ki + s.zero < (std::int64_t{1} << e.bits)
                                 : std::binary_search(element_values(e.id).begin(), element_values(e.id).end(), ki);
          if (!std::isfinite(q[idx]) || !valid || static_cast<float>(std::ldexp(k, m.lsb)) * mult != q[idx])
            throw std::invalid_argument("value " + std::to_string(q[idx]) + " at row " + std::to_string(r) + ", column " +
                                        std::to_string(first + i) + " is not a " + t.name +
                                        " element times its block scale (weights not quantized against these scales?)");
        }
        fixed[idx] = static_cast<std::int64_t>(k);
        max_abs = std::max(max_abs, static_cast<std::uint64_t>(k < 0 ? -k : k));
      }
    }
  m.max_bits = std::bit_width(max_abs);
  if (m.max_bits <= 15) m.fixed16.assign(fixed.begin(), fixed.end());
  if (m.max_bits <= 31) m.fixed32.assign(fixed.begin(), fixed.end());
  else m.fixed64 = std::move(fixed);
  return m;
}

struct Sum {
  double s, err;  // s = fl(a + b), s + err = a + b exactly
};
Sum two_sum(double a, double b) {  // Knuth's TwoSum
  const double s = a + b, bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}

// s, moved one unit in the last place toward the sign of `tail` when s is even and the tail non-zero: the double
// rounded to odd of s + tail, for |tail| below the gap to s's neighbour on that side.
double to_odd(double s, double tail) {
  if (tail == 0 || !std::isfinite(s)) return s;
  auto u = std::bit_cast<std::uint64_t>(s);
  if ((u & 1) == 0) u += ((tail > 0) == (s > 0)) ? 1 : ~std::uint64_t{0};
  return std::bit_cast<double>(u);
}

// acc + v rounded to odd. Rounding that once more to a format of at most 51 significant bits equals rounding the
// exact sum (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding
// to odd", IEEE TC 2008).
double odd_sum(double a, double b) {
  const Sum r = two_sum(a, b);
  return to_odd(r.s, r.err);
}

// acc + (hi + lo) rounded to odd, hi + lo an exact product (|lo| <= ulp(hi) / 2). The exact sum is s + e3 + e2
// with |e2| <= 2^-51 ulp(s) unless acc + hi cancels exactly (then e2 = 0), so s + fl(e3 + e2) brackets it.
double odd_sum3(double a, double hi, double lo) {
  if (!std::isfinite(a)) return a;  // an overflowed accumulator stays +-Inf
  const Sum s1 = two_sum(a, hi), t = two_sum(s1.err, lo), s = two_sum(s1.s, t.s);
  if (s.s == 0) return t.err;  // everything cancelled but the last error, which is then exact
  return to_odd(s.s, s.err + t.err);
}

double pow2(int k) { return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52); }  // |k| <= 1022

// Round half to even of a double onto an accumulator format (overflow -> Inf), for formats whose every value
// and every sum here is a normal double: E <= 10, M <= 50.
struct Rounder {
  AccFormat f;
  bool fast, fp32;
  int emin;
  double overflow;  // 2^(emax + 1): the smallest magnitude that rounds to Inf once rounded
  explicit Rounder(const AccFormat& a)
      : f(a), fast(a.ebits <= 10 && a.mbits <= 50), fp32(a.ebits == 8 && a.mbits == 23), emin(1 - a.bias()),
        overflow(std::ldexp(1.0, a.bias() + 1)) {}
  double round(double s) const {
    if (fp32) return static_cast<double>(static_cast<float>(s));
    if (s == 0 || !std::isfinite(s)) return s;
    const int e = std::max(static_cast<int>((std::bit_cast<std::uint64_t>(s) >> 52) & 0x7FF) - 1023, emin);
    const double y = std::rint(s * pow2(f.mbits - e)) * pow2(e - f.mbits);
    return std::fabs(y) >= overflow ? std::copysign(kInf, s) : y;
  }
};

int significant_bits(unsigned __int128 x) {  // bit width without the trailing zeros (0 for 0)
  if (x == 0) return 0;
  const auto lo = static_cast<std::uint64_t>(x), hi = static_cast<std::uint64_t>(x >> 64);
  const int tz = lo ? std::countr_zero(lo) : 64 + std::countr_zero(hi);
  return (hi ? 128 - std::countl_zero(hi) : 64 - std::countl_zero(lo)) - tz;
}

template <class T, class S>
S dot(const T* x, const T* y, int n) {
  S s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<S>(x[i]) * static_cast<S>(y[i]);
  return s;
}

// Block pairs along K: the pieces between consecutive block boundaries of either operand (each lies in one A
// block and one W block). The longest is at most the smaller block size.
struct Pairing {
  int block_a, block_w, k;
  int end(int k0) const { return std::min({(k0 / block_a + 1) * block_a, (k0 / block_w + 1) * block_w, k}); }
  int longest() const { return std::min({block_a, block_w, k}); }
};
Pairing pair_blocks(int rows_a, int cols_a, int block_a, int cols_w, int block_w, std::size_t out, int rows_w) {
  if (cols_a != cols_w)
    throw std::invalid_argument("exact_gemm: A has " + std::to_string(cols_a) + " columns, W " + std::to_string(cols_w));
  if (out != static_cast<std::size_t>(rows_a) * rows_w) throw std::invalid_argument("exact_gemm: output size is not A rows x W rows");
  if (block_a <= 0 || block_w <= 0) throw std::invalid_argument("exact_gemm: block sizes must be positive");
  return {block_a, block_w, cols_a};
}

float epilogue(double acc, float ga, float gw) {
  if (std::isnan(acc)) return kNaNf;
  return static_cast<float>(acc) * (ga * gw);
}

}  // namespace

std::int64_t ExactMatrix::at(std::size_t i) const { return fixed64.empty() ? fixed32[i] : fixed64[i]; }

ExactMatrix ExactMatrix::quantize(Format f, const QuantConfig& cfg, std::span<const float> x, int rows, int cols) {
  const FormatTraits& t = traits(f);
  const int block = resolve_block(t, cfg);
  if (rows < 0 || cols <= 0 || x.size() != static_cast<std::size_t>(rows) * cols)
    throw std::invalid_argument("ExactMatrix::quantize: " + std::to_string(x.size()) + " values are not " +
                                std::to_string(rows) + " x " + std::to_string(cols));
  const int nbr = (cols + block - 1) / block, sb = t.scale_bits() / 8;
  std::vector<float> q(x.size());
  std::vector<std::uint8_t> scales(static_cast<std::size_t>(rows) * nbr * sb);
  QuantConfig mc = cfg;  // one nvfp4 tensor scale for the whole matrix (NVIDIA's recipe), shared by every row
  if (cfg.tensor_scale) mc.tensor_scale_value = codecs::nvfp4_tensor_scale(x, cfg);
  const std::vector<float> g(rows, codecs::nvfp4_tensor_scale(x, mc));
  const std::uint32_t key = stochastic_key(cfg.seed);
#pragma omp parallel for schedule(static) if (rows > 1 && x.size() > 4096)
  for (int r = 0; r < rows; ++r) {
    std::span<const float> row = x.subspan(static_cast<std::size_t>(r) * cols, cols);
    std::vector<float> flushed;
    if (cfg.flush_subnormal_inputs) row = flushed = flush_subnormal_blocks(row, block);
    QuantConfig rc = mc;
    rc.flush_subnormal_inputs = false;
    rc.index_base = cfg.index_base + static_cast<std::size_t>(r) * cols;
    fake_quantize(f, row, {&q[static_cast<std::size_t>(r) * cols], static_cast<std::size_t>(cols)}, rc);
    for (int b = 0; b < nbr; ++b) {  // the reference scale of each block: what fake_quantize divided by
      const int first = b * block;
      const BlockContext c{t, cfg.round, key, rc.index_base + first, g[r]};
      t.encode_scale_ref(c, row.subspan(first, std::min(block, cols - first)), &scales[(static_cast<std::size_t>(r) * nbr + b) * sb]);
    }
  }
  return build(t, block, q, rows, cols, scales, std::move(g), false);
}

ExactMatrix ExactMatrix::with_scales(Format f, int block, std::span<const float> x, int rows, int cols,
                                     std::span<const std::uint8_t> scales, float tensor_scale) {
  const FormatTraits& t = traits(f);
  QuantConfig c;
  c.block = block;
  return build(t, resolve_block(t, c), x, rows, cols, scales, std::vector<float>(rows, tensor_scale), true);
}

void exact_gemm(const ExactMatrix& a, const ExactMatrix& w, const AccFormat& acc, std::span<float> out) {
  const Pairing pairs = pair_blocks(a.rows, a.cols, a.block, w.cols, w.block, out.size(), w.rows);
  const int K = a.cols, nba = a.blocks_per_row(), nbw = w.blocks_per_row();
  const Rounder rounder(acc);
  const int sum_bits = a.max_bits + w.max_bits + std::bit_width(static_cast<unsigned>(pairs.longest()));
  const int kind = (!a.fixed16.empty() && !w.fixed16.empty() && sum_bits <= 31) ? 0
                   : (!a.fixed32.empty() && !w.fixed32.empty() && sum_bits <= 63) ? 1 : 2;
#pragma omp parallel for schedule(static) if (a.rows > 1 && static_cast<double>(a.rows) * w.rows * K > 1e5)
  for (int m = 0; m < a.rows; ++m)
    for (int n = 0; n < w.rows; ++n) {
      // The accumulator: its exact value as a double on the fast path, else its encoding for acc_add.
      double accv = 0;
      std::uint64_t bits = 0;
      bool in_bits = !rounder.fast;
      for (int k0 = 0, k1; k0 < K; k0 = k1) {
        k1 = pairs.end(k0);
        const int len = k1 - k0;
        const std::size_t ia = static_cast<std::size_t>(m) * nba + k0 / a.block;
        const std::size_t iw = static_cast<std::size_t>(n) * nbw + k0 / w.block;
        if (a.nan[ia] || w.nan[iw]) {  // NaN is sticky: the output is NaN
          bits = acc.canonical_nan(), in_bits = true;
          break;
        }
        const std::size_t xa = static_cast<std::size_t>(m) * K + k0, xw = static_cast<std::size_t>(n) * K + k0;
        i128 s;
        if (kind == 0) s = dot<std::int16_t, std::int32_t>(&a.fixed16[xa], &w.fixed16[xw], len);
        else if (kind == 1) s = dot<std::int32_t, std::int64_t>(&a.fixed32[xa], &w.fixed32[xw], len);
        else {
          s = 0;
          for (int i = 0; i < len; ++i) s += static_cast<i128>(a.at(xa + i)) * w.at(xw + i);
        }
        const auto mag = static_cast<unsigned __int128>(s < 0 ? -s : s);
        const int bits_sa = significant_bits(mag) + a.scale_width[ia];
        if (rounder.fast && bits_sa <= 53) {  // S sa exact in a double; S sa sb = hi + lo exactly (FMA)
          const double p = static_cast<double>(s) * a.scale[ia], hi = p * w.scale[iw];
          const double lo = bits_sa + w.scale_width[iw] <= 53 ? 0.0 : std::fma(p, w.scale[iw], -hi);
          if (in_bits) accv = acc.to_double(bits), in_bits = false;
          accv = rounder.round(lo == 0 ? odd_sum(accv, hi) : odd_sum3(accv, hi, lo));
          continue;
        }
        ExactValue v;  // wide block: the reference rounding
        v.mag = mag * a.scale_sig[ia] * w.scale_sig[iw];
        v.neg = v.mag != 0 && ((s < 0) != ((a.scale[ia] < 0) != (w.scale[iw] < 0)));
        v.exp = a.lsb + w.lsb + a.scale_exp[ia] + w.scale_exp[iw];
        if (!in_bits) bits = acc.from_double(accv), in_bits = true;
        bits = acc_add(acc, bits, v).bits;
      }
      out[static_cast<std::size_t>(m) * w.rows + n] =
          epilogue(in_bits ? acc.to_double(bits) : accv, a.tensor_scale[m], w.tensor_scale[n]);
    }
}

void exact_gemm_ref(std::span<const PackedTensor> a_rows, std::span<const PackedTensor> w_rows, const AccFormat& acc,
                    std::span<float> out) {
  if (a_rows.empty() || w_rows.empty()) throw std::invalid_argument("exact_gemm_ref: no rows");
  const PackedTensor &a0 = a_rows[0], &w0 = w_rows[0];
  for (const auto* rows : {&a_rows, &w_rows})
    for (const PackedTensor& p : *rows)
      if (p.format != (*rows)[0].format || p.block != (*rows)[0].block || p.count != (*rows)[0].count)
        throw std::invalid_argument("exact_gemm_ref: rows differ in format, block or length");
  const int K = static_cast<int>(a0.count);
  const Pairing pairs = pair_blocks(static_cast<int>(a_rows.size()), K, a0.block, static_cast<int>(w0.count), w0.block,
                                    out.size(), static_cast<int>(w_rows.size()));
  const FormatTraits &ta = traits(a0.format), &tw = traits(w0.format);
  std::vector<std::uint8_t> ca(pairs.longest()), cw(pairs.longest());
  auto operand = [&](const FormatTraits& t, const PackedTensor& p, int k0, int len, std::vector<std::uint8_t>& codes) {
    const std::size_t b = static_cast<std::size_t>(k0 / p.block);
    const std::uint8_t* blk = &p.bytes[b * t.block_bytes(p.block)];
    for (int i = 0; i < len; ++i)
      codes[i] = static_cast<std::uint8_t>(t.lane_code(blk, k0 - b * p.block + i));
    return block_operand(t, blk, {codes.data(), static_cast<std::size_t>(len)});
  };
  for (std::size_t m = 0; m < a_rows.size(); ++m)
    for (std::size_t n = 0; n < w_rows.size(); ++n) {
      std::uint64_t bits = 0;
      for (int k0 = 0, k1; k0 < K; k0 = k1) {
        k1 = pairs.end(k0);
        const int len = k1 - k0;
        bits = acc_add(acc, bits, block_value(operand(ta, a_rows[m], k0, len, ca), operand(tw, w_rows[n], k0, len, cw))).bits;
      }
      const float ga = a_rows[m].has_tensor_scale ? a_rows[m].tensor_scale : 1.0f;
      const float gw = w_rows[n].has_tensor_scale ? w_rows[n].tensor_scale : 1.0f;
      out[m * w_rows.size() + n] = epilogue(acc.to_double(bits), ga, gw);
    }
}

}  // namespace mxlab
