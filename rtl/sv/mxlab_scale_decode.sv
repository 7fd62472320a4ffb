// Decodes one block scale of type SCALE (ScaleType of formats/format.hpp, formats/dot.cpp decode_scale) into the exact
// form (-1)^neg * sig * 2^(sh + scale_lsb(SCALE)), plus the zero point of the asymmetric formats.
// E8M0 (OCP MX v1.0 5.4): 2^(x - 127), 0xFF NaN. UE4M3: unsigned E4M3 (bit 7 not part of the value), 0x7F NaN, may
// be 0. FP32 (IEEE 754 binary32, bits [31:0]): sig = {E != 0, M}, sh = max(E, 1) - 1, sign bit kept; E = all ones
// (Inf or NaN) marks a NaN block. FP32 + zero point: the same, the zero point in bits [39:32] (the packed byte after
// the little-endian FP32 value).
module mxlab_scale_decode #(
    parameter integer SCALE = mxlab_formats_pkg::SCALE_E8M0,
    localparam integer SW = mxlab_formats_pkg::scale_bits(SCALE),
    localparam integer SIG_W = mxlab_formats_pkg::scale_sig_w(SCALE),
    localparam integer ZW = (mxlab_formats_pkg::scale_zp_bits(SCALE) > 0) ? mxlab_formats_pkg::scale_zp_bits(SCALE) : 1
) (
    input  logic [SW-1:0]    x,
    output logic             nan,
    output logic             neg,
    output logic [SIG_W-1:0] sig,
    output logic [7:0]       sh,
    output logic [ZW-1:0]    zp   // zero point (0 for the scale types without one)
);
  generate
    if (SCALE == mxlab_formats_pkg::SCALE_E8M0 || SCALE == mxlab_formats_pkg::SCALE_UE4M3) begin : g_elem
      localparam integer SE = (SCALE == mxlab_formats_pkg::SCALE_E8M0) ? mxlab_formats_pkg::ELEM_E8M0
                                                                       : mxlab_formats_pkg::ELEM_UE4M3;
      /* verilator lint_off UNUSEDSIGNAL */
      logic inf, eneg;  // scales of these types have no Inf and no sign
      logic [7:0] sig8;
      /* verilator lint_on UNUSEDSIGNAL */
      mxlab_elem_decode_fixed #(.ELEM(SE)) u_dec (.code(x[7:0]), .nan(nan), .inf(inf), .neg(eneg), .sig(sig8), .sh(sh));
      assign neg = 1'b0;
      assign sig = sig8[SIG_W-1:0];
      assign zp = '0;
    end else begin : g_fp32
      logic [7:0] e;
      assign e = x[30:23];
      assign nan = e == 8'hFF;
      assign neg = x[31];
      assign sig = {e != 8'd0, x[22:0]};
      assign sh = (e == 8'd0) ? 8'd0 : e - 8'd1;
      if (SW > 32) begin : g_zp
        assign zp = x[SW-1:32];
      end else begin : g_no_zp
        assign zp = '0;
      end
    end
  endgenerate
endmodule
