// Input vectors for gate-level energy (stimulus.hpp): real GEMM block pairs or uniform random codes, written in the
// unit's port encoding through the golden-line writers of rtl/models/.
#include "rtl/cost/stimulus.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>
#include <sstream>
#include <stdexcept>

#include "formats/bit_codes.hpp"
#include "formats/block_codecs.hpp"
#include "formats/element.hpp"
#include "formats/packed.hpp"
#include "rtl/models/golden.hpp"
#include "rtl/models/int_reference.hpp"

namespace mxlab::cost {
namespace {
using rtl::UnitConfig;
using rtl::UnitKind;
using Vectors = std::vector<std::map<std::string, std::string>>;

bool contains(const std::vector<Elem>& v, Elem e) { return std::find(v.begin(), v.end(), e) != v.end(); }

// The format a side takes: `pref` when its element is accepted, else the format of the same family whose element
// is the side's first accepted element (e.g. int4 weights -> int8 activations, mxfp4_e2m1 -> mxfp8_e4m3).
const FormatTraits* side_format(const FormatTraits& pref, const std::vector<Elem>& accepted) {
  if (contains(accepted, pref.elem)) return &pref;
  for (const FormatTraits& t : format_table())
    if (t.family == pref.family && t.elem == accepted.front()) return &t;
  return nullptr;
}

std::vector<std::string> split(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> t;
  for (std::string w; in >> w;) t.push_back(w);
  return t;
}

// Golden line (golden.hpp: ea eb clear xa xb [alpha] A B acc flags) -> the block dot's input ports.
std::map<std::string, std::string> block_ports(const rtl::BlockVector& v) {
  const std::vector<std::string> t = split(rtl::golden_line(v));
  const std::size_t o = v.alpha ? 1 : 0;
  return {{"in_valid", "1"}, {"out_ready", "1"}, {"in_sel_a", t[0]}, {"in_sel_b", t[1]}, {"in_clear", t[2]},
          {"in_xa", t[3]}, {"in_xb", t[4]}, {"in_alpha", v.alpha ? t[5] : "3f800000"}, {"in_a", t[5 + o]},
          {"in_b", t[6 + o]}};
}

// int_golden_line (`clear A B acc`) -> the INT MAC's input ports.
std::map<std::string, std::string> int_ports(const rtl::IntStep& s) {
  const std::vector<std::string> t = split(rtl::int_golden_line(s));
  return {{"in_valid", "1"}, {"out_ready", "1"}, {"in_clear", t[0]}, {"in_a", t[1]}, {"in_b", t[2]}};
}

// vq_golden_line (`W addr codeword` | `V clear idx x acc`) -> the VQ MAC's input ports.
std::map<std::string, std::string> vq_ports(const rtl::VqStep& s, int idx_bits) {
  const std::vector<std::string> t = split(rtl::vq_golden_line(s, idx_bits));
  if (s.write)
    return {{"out_ready", "1"}, {"cb_we", "1"}, {"cb_addr", t[1]}, {"cb_data", t[2]}, {"in_valid", "0"},
            {"in_clear", "0"}, {"in_idx", "0"}, {"in_x", "0"}};
  return {{"out_ready", "1"}, {"cb_we", "0"}, {"cb_addr", "0"}, {"cb_data", "0"}, {"in_valid", "1"},
          {"in_clear", t[1]}, {"in_idx", t[2]}, {"in_x", t[3]}};
}

// The finite codes of an element type within its range (INT: the symmetric range, no -2^(n-1)).
std::vector<std::uint8_t> valid_codes(Elem e) {
  const ElemSpec& s = elem_spec(e);
  std::vector<std::uint8_t> codes;
  for (std::uint32_t c = 0; c < (1u << s.bits); ++c) {
    const double v = decode_elem(e, c);
    if (std::isfinite(v) && std::fabs(v) <= s.max_normal) codes.push_back(static_cast<std::uint8_t>(c));
  }
  return codes;
}

std::uint64_t random_scale(ScaleType s, Elem e, std::mt19937_64& rng) {
  auto uni = [&](std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng); };
  switch (s) {
    case ScaleType::e8m0: return uni(127 - 16, 127 + 16);
    case ScaleType::ue4m3: return uni(0x30, 0x48);
    case ScaleType::fp32:
    case ScaleType::vq_codebook:  // the codebook's FP32 scale (no block-dot unit takes VQ codebooks)
      return (uni(127 - 16, 127 + 16) << 23) | uni(0, (1u << 23) - 1);
    case ScaleType::fp32_zero:
      return (uni(0, (1u << elem_spec(e).bits) - 1) << 32) | (uni(127 - 16, 127 + 16) << 23) | uni(0, (1u << 23) - 1);
  }
  return 0;
}

// The rows of m (rows x k) encoded as the runtime's exact GEMM quantizes them (nvfp4 tensor scale: one per matrix).
std::vector<PackedTensor> encode_rows(Format f, const std::vector<float>& m, int k, bool tensor_scale) {
  QuantConfig cfg;
  if (tensor_scale) {
    cfg.tensor_scale = true;
    cfg.tensor_scale_value = codecs::nvfp4_tensor_scale(m);
  }
  std::vector<PackedTensor> rows;
  for (std::size_t r = 0; r * k < m.size(); ++r) rows.push_back(encode_ref(f, {m.data() + r * k, std::size_t(k)}, cfg));
  return rows;
}

// VQ model vectors (unit_vectors): per output channel c and token t, the row's K weights N*D at a time (a clear on
// each output's first vector; a short last vector padded with index 0 and activation 0). Before the first vector
// that reads a block, its INT8 codebook is written, address 0 first (the K writes are cycles of the window).
Vectors vq_model_vectors(const UnitFormat& uf, const Operands& real, std::size_t count) {
  const UnitConfig& u = *uf.unit;
  const int lanes = u.stim.n, d = u.param("D"), idx_bits = u.param("IDX_BITS"), per = lanes * d;
  const FormatTraits &tw = traits(uf.weight), &tx = traits(uf.act);
  const std::size_t k = real.k;
  const std::vector<PackedTensor> w = encode_rows(tw.id, real.weight, real.k, false),
                                  x = encode_rows(tx.id, real.activation, real.k, false);
  if (w.empty() || x.empty()) throw std::invalid_argument(real.what + ": no weight or activation rows");
  if (std::size_t(w[0].block) < k && w[0].block % per != 0)
    throw std::invalid_argument(std::string(tw.name) + ": block " + std::to_string(w[0].block) + " is not a multiple of " +
                                u.name + "'s " + std::to_string(per) + " weights per vector");
  Vectors out;
  std::size_t vectors = 0;
  const std::uint8_t* loaded = nullptr;
  for (std::size_t c = 0; c < w.size() && vectors < count; ++c)
    for (std::size_t t = 0; t < x.size() && vectors < count; ++t)
      for (std::size_t i0 = 0; i0 < k && vectors < count; i0 += per) {
        const std::size_t blk = i0 / w[c].block;
        const std::uint8_t* block = &w[c].bytes[blk * tw.block_bytes(w[c].block)];
        if (block != loaded) {
          const auto* entries = reinterpret_cast<const std::int8_t*>(block + 4);  // after the FP32 scale
          for (int a = 0; a < (1 << idx_bits); ++a) {
            rtl::VqStep s;
            s.write = true, s.addr = a, s.cw.assign(entries + a * d, entries + (a + 1) * d);
            out.push_back(vq_ports(s, idx_bits));
          }
          loaded = block;
        }
        rtl::VqStep s;
        s.clear = i0 == 0;
        const std::size_t first_vector = (i0 - blk * w[c].block) / d;
        for (int l = 0; l < lanes; ++l)
          s.idx.push_back(i0 + l * d < k ? get_code(block + tw.scale_bits() / 8, idx_bits, first_vector + l) : 0);
        for (int j = 0; j < per; ++j) {
          const std::size_t i = i0 + j, xb = x[t].block;
          s.x.push_back(i < k ? static_cast<std::int8_t>(tx.lane_code(&x[t].bytes[(i / xb) * tx.block_bytes(xb)], i % xb))
                              : std::int8_t{0});
        }
        out.push_back(vq_ports(s, idx_bits));
        ++vectors;
      }
  if (vectors < count)
    throw std::invalid_argument(real.what + ": " + std::to_string(vectors) + " vectors for " + u.name +
                                ", fewer than the " + std::to_string(count) + " asked for");
  return out;
}

}  // namespace

std::vector<rtl::BlockVector> gemm_block_pairs(const PackedTensor& a, const PackedTensor& b, int lanes) {
  const FormatTraits &ta = traits(a.format), &tb = traits(b.format);
  const int sa = ta.scale_bits() / 8, sb = tb.scale_bits() / 8;
  auto scale_port = [](const std::uint8_t* block, int bytes) {  // little-endian FP32, then the zero point
    std::uint64_t x = 0;
    for (int i = 0; i < bytes; ++i) x |= std::uint64_t{block[i]} << (8 * i);
    return x;
  };
  auto pad = [](const FormatTraits& t, std::uint64_t scale) {  // a code of value zero (asym: the zero point)
    const std::uint64_t zp = t.scale == ScaleType::fp32_zero ? scale >> 32 : 0;
    return static_cast<std::uint8_t>(zp < (1u << t.element().bits) ? zp : 0);
  };
  std::vector<rtl::BlockVector> v;
  for (std::size_t k = 0; k < a.block_count(); ++k) {
    rtl::BlockVector x;
    x.ea = ta.elem, x.eb = tb.elem, x.clear = k == 0;
    const std::uint8_t *pa = &a.bytes[k * ta.block_bytes(a.block)], *pb = &b.bytes[k * tb.block_bytes(b.block)];
    x.xa = scale_port(pa, sa), x.xb = scale_port(pb, sb);
    if (a.has_tensor_scale || b.has_tensor_scale)
      x.alpha = std::bit_cast<std::uint32_t>(a.tensor_scale * b.tensor_scale);  // fl32(g_a g_w)
    x.a.assign(lanes, pad(ta, x.xa)), x.b.assign(lanes, pad(tb, x.xb));
    const std::size_t n = std::min<std::size_t>(a.block, a.count - k * a.block);
    for (std::size_t i = 0; i < n; ++i) {
      x.a[i] = static_cast<std::uint8_t>(get_code(pa + sa, ta.element().bits, i));
      x.b[i] = static_cast<std::uint8_t>(get_code(pb + sb, tb.element().bits, i));
    }
    v.push_back(std::move(x));
  }
  return v;
}

double UnitFormat::bits_per_weight() const {
  if (!in_table) return double(unit->param("IDX_BITS")) / unit->param("D");
  return traits(weight).bits_per_weight();
}

int UnitFormat::macs_per_vector() const { return unit->stim.n * (vq ? unit->param("D") : 1); }

std::vector<UnitFormat> unit_formats(const UnitConfig& u) {
  std::vector<UnitFormat> out;
  if (u.kind == UnitKind::vq_mac) {
    const int d = u.param("D"), idx_bits = u.param("IDX_BITS");
    const FormatTraits* act = nullptr;  // the INT MACs' partner family (int_group) with the unit's activation element
    for (const FormatTraits& t : format_table())
      if (!act && t.family == Family::int_group && t.elem == u.stim.elems_b.front()) act = &t;
    for (const FormatTraits& t : format_table()) {
      if (t.family != Family::vq || t.vq_dim != d || t.vq_bits * t.vq_dim != idx_bits || !act) continue;
      UnitFormat f;
      f.unit = &u, f.name = t.name, f.weight = t.id, f.act = act->id, f.weights_on_a = true, f.vq = true;
      out.push_back(f);
    }
    if (out.empty()) {
      UnitFormat f;
      f.unit = &u, f.name = "vq", f.vq = true, f.in_table = false;
      out.push_back(f);
    }
    return out;
  }
  const bool w_on_a = u.stim.elems_a != u.stim.elems_b;
  const std::vector<Elem>& ew = w_on_a ? u.stim.elems_a : u.stim.elems_b;
  const std::vector<Elem>& ex = w_on_a ? u.stim.elems_b : u.stim.elems_a;
  for (const FormatTraits& t : format_table()) {
    if (!contains(ew, t.elem)) continue;
    if (u.kind == UnitKind::block_dot ? (t.scale != u.stim.scale || t.default_block != u.stim.n)
                                      : t.family != Family::int_group)
      continue;
    const FormatTraits* x = side_format(t, ex);
    if (!x) continue;
    UnitFormat f;
    f.unit = &u, f.name = t.name, f.weight = t.id, f.act = x->id, f.weights_on_a = w_on_a;
    out.push_back(f);
  }
  return out;
}

UnitFormat unit_format(const UnitConfig& u, const std::string& format) {
  std::string names;
  for (const UnitFormat& f : unit_formats(u)) {
    if (f.name == format) return f;
    names += (names.empty() ? "" : ", ") + f.name;
  }
  throw std::invalid_argument("unit " + u.name + " does not multiply format '" + format + "' (it takes: " + names + ")");
}

const char* operand_name(OperandKind k) { return k == OperandKind::model ? "model" : "random"; }

std::vector<std::map<std::string, std::string>> unit_vectors(const UnitFormat& uf, OperandKind kind,
                                                             const Operands* real, std::size_t count,
                                                             std::uint64_t seed) {
  const UnitConfig& u = *uf.unit;
  const int lanes = u.stim.n;
  std::mt19937_64 rng(seed);
  Vectors out;
  if (uf.vq && kind == OperandKind::model) {
    if (!uf.in_table)
      throw std::invalid_argument("unit " + u.name + ": no VQ format of the table has its D and K, so it takes random "
                                  "operands only");
    if (!real || real->k == 0) throw std::invalid_argument("unit " + u.name + ": no real operands given");
    return vq_model_vectors(uf, *real, count);
  }
  if (uf.vq) {
    const int d = u.param("D"), idx_bits = u.param("IDX_BITS");
    const VqCodebook cb = rtl::reference::vq_test_codebook(u, seed);
    for (const rtl::VqStep& s : rtl::reference::vq_load_steps(cb, seed)) out.push_back(vq_ports(s, idx_bits));
    const std::vector<std::uint8_t> x8 = valid_codes(Elem::int8);
    const std::size_t per_output = std::max(1, 64 / d / lanes);
    for (std::size_t i = 0; i < count; ++i) {
      rtl::VqStep s;
      s.clear = i % per_output == 0;
      for (int l = 0; l < lanes; ++l) s.idx.push_back(static_cast<std::uint32_t>(rng() % cb.size()));
      for (int j = 0; j < lanes * d; ++j) s.x.push_back(static_cast<std::int8_t>(x8[rng() % x8.size()]));
      out.push_back(vq_ports(s, idx_bits));
    }
    return out;
  }
  const FormatTraits &tw = traits(uf.weight), &tx = traits(uf.act);
  const FormatTraits &ta = uf.weights_on_a ? tw : tx, &tb = uf.weights_on_a ? tx : tw;
  if (kind == OperandKind::random) {
    const std::vector<std::uint8_t> ca = valid_codes(ta.elem), cb = valid_codes(tb.elem);
    const std::size_t per_output = std::max(1, 64 / lanes);
    for (std::size_t i = 0; i < count; ++i) {
      const bool clear = i % per_output == 0;
      std::vector<std::uint8_t> a(lanes), b(lanes);
      for (int l = 0; l < lanes; ++l) a[l] = ca[rng() % ca.size()], b[l] = cb[rng() % cb.size()];
      if (u.kind == UnitKind::int_mac) {
        out.push_back(int_ports({clear, a, b, 0}));
        continue;
      }
      rtl::BlockVector v;
      v.ea = ta.elem, v.eb = tb.elem, v.clear = clear, v.a = a, v.b = b;
      v.xa = random_scale(ta.scale, ta.elem, rng), v.xb = random_scale(tb.scale, tb.elem, rng);
      if (u.stim.tensor_scale) v.alpha = std::bit_cast<std::uint32_t>(std::ldexp(1.0f + float(rng() % 1024) / 1024, -8));
      out.push_back(block_ports(v));
    }
    return out;
  }
  if (!real || real->k == 0) throw std::invalid_argument("unit " + u.name + ": no real operands given");
  const std::vector<PackedTensor> w = encode_rows(tw.id, real->weight, real->k, u.stim.tensor_scale),
                                  x = encode_rows(tx.id, real->activation, real->k, u.stim.tensor_scale);
  for (std::size_t t = 0; t < x.size() && out.size() < count; ++t)
    for (std::size_t n = 0; n < w.size() && out.size() < count; ++n) {
      const PackedTensor &a = uf.weights_on_a ? w[n] : x[t], &b = uf.weights_on_a ? x[t] : w[n];
      if (u.kind == UnitKind::block_dot) {
        for (const rtl::BlockVector& v : gemm_block_pairs(a, b, lanes))
          if (out.size() < count) out.push_back(block_ports(v));
        continue;
      }
      // INT MAC: the group's codes, `lanes` per cycle (the FP32 group scales are applied outside the unit)
      for (std::size_t i = 0; i < a.count && out.size() < count; i += lanes) {
        rtl::IntStep s;
        s.clear = i == 0;
        for (std::size_t l = i; l < i + lanes; ++l) {
          auto code = [&](const PackedTensor& p, const FormatTraits& tr) -> std::uint8_t {
            if (l >= p.count) return 0;
            const std::size_t blk = l / p.block, sbytes = tr.scale_bits() / 8;
            return static_cast<std::uint8_t>(
                get_code(&p.bytes[blk * tr.block_bytes(p.block) + sbytes], tr.element().bits, l % p.block));
          };
          s.a.push_back(code(a, ta)), s.b.push_back(code(b, tb));
        }
        out.push_back(int_ports(s));
      }
    }
  if (out.size() < count)
    throw std::invalid_argument(real->what + ": " + std::to_string(out.size()) + " vectors for " + u.name +
                                ", fewer than the " + std::to_string(count) + " asked for");
  return out;
}

}  // namespace mxlab::cost
