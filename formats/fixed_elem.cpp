// Exact fixed-point element decoding from the formats spec table (mirrors rtl/sv/mxlab_elem_decode.sv).
#include "formats/fixed_elem.hpp"

#include <algorithm>
#include <bit>

#include "formats/format.hpp"

namespace mxlab {

int elem_lsb(Elem e) {
  const ElemSpec& s = elem_spec(e);
  if (!s.is_int) return s.emin - s.mbits;
  for (const FormatTraits& t : format_table())  // MX INT: element value k * 2^-frac_bits (OCP MX v1.0 5.3.3)
    if (t.family == Family::mx && t.elem == e) return -t.frac_bits;
  return 0;
}

int elem_sig_bits(Elem e) {
  const ElemSpec& s = elem_spec(e);
  return s.is_int ? s.bits : s.mbits + 1;
}

int elem_sh_max(Elem e) {
  const ElemSpec& s = elem_spec(e);
  return s.is_int ? 0 : (1 << s.ebits) - 2;
}

int elem_mag_bits(Elem e) { return elem_sig_bits(e) + elem_sh_max(e); }

bool is_data_elem(Elem e) { return e != Elem::e8m0 && e != Elem::ue4m3; }

ElemEnvelope data_envelope() {
  ElemEnvelope env{0, 0, 0, 0};
  for (const ElemSpec& s : elem_table())
    if (is_data_elem(s.id)) env.lsb = std::min(env.lsb, elem_lsb(s.id));
  for (const ElemSpec& s : elem_table()) {
    if (!is_data_elem(s.id)) continue;
    const int off = elem_lsb(s.id) - env.lsb;
    env.sig_bits = std::max(env.sig_bits, elem_sig_bits(s.id));
    env.sh_max = std::max(env.sh_max, elem_sh_max(s.id) + off);
    env.mag_bits = std::max(env.mag_bits, elem_mag_bits(s.id) + off);
  }
  return env;
}

FixedElem decode_fixed(Elem e, std::uint32_t code) {
  const ElemSpec& s = elem_spec(e);
  code &= (1u << s.bits) - 1;
  FixedElem r;
  if (s.is_int) {  // two's complement
    const bool neg = (code >> (s.bits - 1)) & 1u;
    r.neg = neg;
    r.sig = neg ? ((1u << s.bits) - code) : code;
    return r;
  }
  if (e == Elem::e8m0) {  // OCP MX v1.0 5.4: 2^(code - 127), 0xFF = NaN; expressed as sig 1, sh = code
    r.nan = code == 0xFF;
    r.sig = 1;
    r.sh = static_cast<int>(code);
    return r;
  }
  if (e == Elem::ue4m3) code &= 0x7F;  // unsigned: bit 7 is not part of the value
  const std::uint32_t all_e = (1u << s.ebits) - 1, all_m = (1u << s.mbits) - 1;
  const std::uint32_t ef = (code >> s.mbits) & all_e, mf = code & all_m;
  r.neg = s.is_signed && ((code >> (s.bits - 1)) & 1u);
  r.sig = (ef != 0 ? (1u << s.mbits) : 0u) | mf;
  r.sh = static_cast<int>(std::max<std::uint32_t>(ef, 1)) - 1;
  if (s.specials == Specials::ocp_e4m3 && ef == all_e && mf == all_m) r.nan = true;
  if (s.specials == Specials::ieee && ef == all_e) (mf == 0 ? r.inf : r.nan) = true;
  return r;
}

}  // namespace mxlab
