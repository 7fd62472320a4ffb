// Exhaustive co-simulation of the element decoders: every code of every element type, fixed and runtime-selected;
// the RTL outputs equal the model's fixed form and stand for the value of the spec decoder (decode_elem).
#include <gtest/gtest.h>

#include <cmath>

#include "formats/fixed_elem.hpp"
#include "rtl/models/oracle_reference.hpp"
#include "rtl/verilator/verilated_units.hpp"

namespace mxlab::rtl {
namespace {

TEST(ElemDecodeModel, FixedFormEqualsFormatsDecoder) {
  std::size_t checked = 0;
  for (const ElemSpec& s : elem_table())
    for (std::uint32_t c = 0; c < (1u << s.bits); ++c, ++checked) {
      const FixedElem f = decode_fixed(s.id, c);
      const double ref = decode_elem(s.id, c);
      if (std::isnan(ref)) {
        EXPECT_TRUE(f.nan) << s.name << " " << c;
        continue;
      }
      if (std::isinf(ref)) { EXPECT_TRUE(f.inf && f.neg == (ref < 0)) << s.name << " " << c; continue; }
      EXPECT_FALSE(f.nan || f.inf) << s.name << " " << c;
      // INT: decode_elem gives k; the fixed form carries the MX scaling 2^-frac_bits in elem_lsb (OCP MX 5.3.3)
      const double val = std::ldexp(static_cast<double>(f.sig), f.sh + (s.is_int ? 0 : elem_lsb(s.id)));
      EXPECT_EQ(f.neg ? -val : val, ref) << s.name << " code " << c;
      if (ref == 0 && !s.is_int) {
        EXPECT_EQ(f.neg, std::signbit(ref)) << s.name << " signed zero " << c;
      }
    }
  RecordProperty("codes_checked", static_cast<int>(checked));
  std::printf("[decode model] %zu codes checked against formats::decode_elem\n", checked);
}

unsigned lane(const VlWide<4>& port, int t) { return (port[t / 4] >> (8 * (t % 4))) & 0xFFu; }

// (-1)^neg sig 2^(sh + lsb), or NaN / Inf, is the reference value of the code (decode_elem, MX INT k 2^-frac_bits).
bool stands_for(Elem e, std::uint32_t code, bool nan, bool inf, bool neg, unsigned sig, unsigned sh, int lsb) {
  using reference::Kind;
  const reference::Value r = reference::elem_value(e, code);
  if (r.kind == Kind::nan_in) return nan && !inf;
  if (r.kind != Kind::finite) return inf && !nan && neg == (r.kind == Kind::neg_inf);
  const oracle::Rational v = sig * oracle::pow2(static_cast<int>(sh) + lsb);
  return !nan && !inf && (neg ? oracle::Rational(-v) : v) == r.value;
}

TEST(ElemDecodeCosim, EveryCodeEveryTypeFixedAndRuntime) {
  VerilatedContext ctx;
  Vmxlab_decode_all m(&ctx);
  const ElemEnvelope env = data_envelope();
  std::size_t checked = 0, mismatches = 0;
  for (int sel = 0; sel < 16; ++sel)
    for (std::uint32_t code = 0; code < 256; ++code) {
      m.code = static_cast<std::uint8_t>(code);
      m.sel = static_cast<std::uint8_t>(sel);
      m.eval();
      if (sel == 0)  // fixed decoders of all types see every 8-bit code (upper bits must be ignored)
        for (const ElemSpec& s : elem_table()) {
          const int t = static_cast<int>(s.id);
          const FixedElem f = decode_fixed(s.id, code);
          const bool nan = (m.f_nan >> t) & 1u, inf = (m.f_inf >> t) & 1u, neg = (m.f_neg >> t) & 1u;
          const bool ok = nan == f.nan && inf == f.inf && neg == f.neg && lane(m.f_sig, t) == f.sig &&
                          lane(m.f_sh, t) == static_cast<unsigned>(f.sh) &&
                          stands_for(s.id, code, nan, inf, neg, lane(m.f_sig, t), lane(m.f_sh, t), elem_lsb(s.id));
          ++checked;
          if (!ok && ++mismatches <= 5) ADD_FAILURE() << "fixed decoder " << s.name << " code " << code;
        }
      // runtime-selected decoder: data types, shift re-based onto the common LSB; other ids decode to 0
      const bool data = sel < kElemCount && is_data_elem(static_cast<Elem>(sel));
      FixedElem f;
      if (data) {
        f = decode_fixed(static_cast<Elem>(sel), code);
        f.sh += elem_lsb(static_cast<Elem>(sel)) - env.lsb;
      }
      const bool ok = m.a_nan == f.nan && m.a_inf == f.inf && m.a_neg == f.neg && m.a_sig == f.sig &&
                      m.a_sh == static_cast<unsigned>(f.sh) &&
                      (!data ||
                       stands_for(static_cast<Elem>(sel), code, m.a_nan, m.a_inf, m.a_neg, m.a_sig, m.a_sh, env.lsb));
      ++checked;
      if (!ok && ++mismatches <= 5) ADD_FAILURE() << "runtime decoder sel " << sel << " code " << code;
    }
  RecordProperty("vectors", static_cast<int>(checked));
  RecordProperty("mismatches", static_cast<int>(mismatches));
  std::printf("[decode cosim] %zu decoder outputs checked, %zu mismatches\n", checked, mismatches);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(checked, 14u * 256 + 16u * 256);  // 14 element types (fixed decoders), 16 runtime selects
}

}  // namespace
}  // namespace mxlab::rtl
