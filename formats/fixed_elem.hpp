// Exact fixed-point form of every element type (the RTL decoder's output): value = (-1)^neg * sig * 2^(sh + lsb).
#pragma once
#include <cstdint>

#include "formats/element.hpp"

namespace mxlab {

// One decoded element. For FP types sig = {E != 0, M} (hidden bit + mantissa) and sh = max(E, 1) - 1
// (OCP MX v1.0 5.3.1: normal (1 + m/2^M) 2^(E - bias), subnormal (m/2^M) 2^(1 - bias)); for INT types
// sig = |k| and sh = 0. nan / inf mark the special encodings (OCP FP8: E4M3 S.1111.111, E5M2 S.11111.xx).
struct FixedElem {
  bool nan = false;
  bool inf = false;
  bool neg = false;
  std::uint32_t sig = 0;
  int sh = 0;
};

// The fixed-point LSB exponent of element type e: FP emin - mbits; MX INT -frac_bits (k * 2^-(n-2)).
int elem_lsb(Elem e);
int elem_sig_bits(Elem e);  // width of sig: FP mbits + 1; INT n (|-2^(n-1)| needs n bits)
int elem_sh_max(Elem e);    // largest sh: FP 2^ebits - 2; INT 0
int elem_mag_bits(Elem e);  // width of sig << sh
bool is_data_elem(Elem e);  // element types the universal decoder accepts (everything but the scale types)

// Envelope of the data element types (the runtime-selectable decoder): common LSB and widths.
struct ElemEnvelope {
  int lsb;      // min over types of elem_lsb
  int sig_bits; // max sig width
  int sh_max;   // max of sh + (elem_lsb(t) - lsb)
  int mag_bits; // max of mag width in units of 2^lsb
};
ElemEnvelope data_envelope();

FixedElem decode_fixed(Elem e, std::uint32_t code);

}  // namespace mxlab
