// The lanes of the block dot unit: per lane the exact signed product A_i B_i in units of 2^(lsb_a + lsb_b) (PW + 1
// bits) and the special-value lanes (NaN, 0 x Inf, +Inf, -Inf). Narrow path (both element types fixed, at most 4
// bits, no special values: FP4/INT4/INT2): a 16-entry magnitude table per side (from the code's exact value), sign
// from the code's sign bit, one small multiply. Wide path: one mxlab_block_dot_lane per lane. Asymmetric INT (ZW > 0:
// FP32 scale + zero point, both element types fixed INT): element = unsigned code - zero point (formats/dot.cpp
// operand_element), a signed multiply per lane.
module mxlab_block_dot_lanes #(
    parameter integer N = 32,
    parameter integer ELEM_A = 4,
    parameter integer ELEM_B = 4,
    parameter integer ZW = 0,  // zero-point bits (scale_zp_bits of the unit's scale type), 0: no zero point
    parameter integer PW = 8,  // product magnitude width: elem_mag_w(ELEM_A) + elem_mag_w(ELEM_B); asymmetric:
                               // max(bits_A, ZW) + max(bits_B, ZW)
    localparam integer ZPW = (ZW > 0) ? ZW : 1
) (
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] sel_a,
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] sel_b,
    input  logic [N*8-1:0]      a,
    input  logic [N*8-1:0]      b,
    input  logic [ZPW-1:0]      zp_a,  // zero points (ZW > 0)
    input  logic [ZPW-1:0]      zp_b,
    output logic [N*(PW+1)-1:0] prod,  // lane i: bits [i(PW+1), (i+1)(PW+1)), two's complement
    output logic [N-1:0]        nan,
    output logic [N-1:0]        zinf,
    output logic [N-1:0]        pinf,
    output logic [N-1:0]        ninf
);
  localparam integer NARROW = (ELEM_A != mxlab_formats_pkg::ELEM_ANY && ELEM_B != mxlab_formats_pkg::ELEM_ANY
                               && mxlab_formats_pkg::elem_bits(ELEM_A) <= 4 && mxlab_formats_pkg::elem_bits(ELEM_B) <= 4
                               && mxlab_formats_pkg::elem_specials(ELEM_A) == 0
                               && mxlab_formats_pkg::elem_specials(ELEM_B) == 0) ? 1 : 0;
  localparam integer MWA = mxlab_formats_pkg::elem_mag_w(ELEM_A);
  localparam integer MWB = mxlab_formats_pkg::elem_mag_w(ELEM_B);
  // |value| of each code of a fixed type without specials, in units of 2^elem_lsb, entry c at bits [c*mw, c*mw+mw):
  // the decode of mxlab_elem_decode_fixed (INT two's complement, FP sig = {E != 0, M}, sh = max(E, 1) - 1)
  function automatic logic [127:0] mag_table(input integer e, input integer mw);
    integer nb, eb, mb, ef, mf, v;
    nb = mxlab_formats_pkg::elem_bits(e);
    eb = mxlab_formats_pkg::elem_ebits(e);
    mb = mxlab_formats_pkg::elem_mbits(e);
    mag_table = '0;
    for (integer c = 0; c < (1 << nb); c = c + 1) begin
      if (mxlab_formats_pkg::elem_is_int(e) != 0) begin
        v = (c >= (1 << (nb - 1))) ? (1 << nb) - c : c;
      end else begin
        ef = (c / (1 << mb)) % (1 << eb);
        mf = c % (1 << mb);
        v = (ef != 0) ? (((1 << mb) + mf) * (1 << (ef - 1))) : mf;
      end
      mag_table = mag_table | (128'(v) << (c * mw));
    end
  endfunction

  genvar i;
  generate
    if (ZW > 0) begin : g_asym
      localparam integer BA = mxlab_formats_pkg::elem_bits(ELEM_A);
      localparam integer BB = mxlab_formats_pkg::elem_bits(ELEM_B);
      localparam integer KA = ((BA > ZW) ? BA : ZW) + 1;  // signed code - zero point
      localparam integer KB = ((BB > ZW) ? BB : ZW) + 1;
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_z;  // the codes' bits above `bits`, the type selects
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused_z = ^{sel_a, sel_b, a, b};
      assign nan = '0;
      assign zinf = '0;
      assign pinf = '0;
      assign ninf = '0;
      for (i = 0; i < N; i = i + 1) begin : g_lane
        logic signed [KA-1:0] ka;
        logic signed [KB-1:0] kb;
        assign ka = KA'({1'b0, a[i*8+:BA]}) - KA'({1'b0, zp_a});
        assign kb = KB'({1'b0, b[i*8+:BB]}) - KB'({1'b0, zp_b});
        assign prod[i*(PW+1)+:PW+1] = (PW + 1)'(ka) * (PW + 1)'(kb);
      end
    end else if (NARROW != 0) begin : g_narrow
      localparam integer BA = mxlab_formats_pkg::elem_bits(ELEM_A);
      localparam integer BB = mxlab_formats_pkg::elem_bits(ELEM_B);
      localparam logic [(MWA<<BA)-1:0] TAB_A = (MWA << BA)'(mag_table(ELEM_A, MWA));
      localparam logic [(MWB<<BB)-1:0] TAB_B = (MWB << BB)'(mag_table(ELEM_B, MWB));
      localparam integer SGN_A = mxlab_formats_pkg::elem_is_signed(ELEM_A);
      localparam integer SGN_B = mxlab_formats_pkg::elem_is_signed(ELEM_B);
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_n;
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused_n = ^{sel_a, sel_b, a, b, zp_a, zp_b};
      assign nan = '0;
      assign zinf = '0;
      assign pinf = '0;
      assign ninf = '0;
      for (i = 0; i < N; i = i + 1) begin : g_lane
        logic [BA-1:0] ca;
        logic [BB-1:0] cb;
        logic [MWA-1:0] ma;
        logic [MWB-1:0] mb;
        logic [PW-1:0] m;
        logic neg;
        assign ca = a[i*8+:BA];
        assign cb = b[i*8+:BB];
        assign ma = TAB_A[32'(ca)*MWA+:MWA];
        assign mb = TAB_B[32'(cb)*MWB+:MWB];
        assign m = PW'(ma) * PW'(mb);
        assign neg = ((SGN_A != 0) && ca[BA-1]) != ((SGN_B != 0) && cb[BB-1]);
        assign prod[i*(PW+1)+:PW+1] = neg ? -((PW + 1)'(m)) : (PW + 1)'(m);
      end
    end else begin : g_wide
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_w;
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused_w = ^{zp_a, zp_b};
      for (i = 0; i < N; i = i + 1) begin : g_lane
        mxlab_block_dot_lane #(.ELEM_A(ELEM_A), .ELEM_B(ELEM_B), .PW(PW)) u_lane (
            .sel_a, .sel_b, .a(a[i*8+:8]), .b(b[i*8+:8]), .prod(prod[i*(PW+1)+:PW+1]), .nan(nan[i]), .zinf(zinf[i]),
            .pinf(pinf[i]), .ninf(ninf[i]));
      end
    end
  endgenerate
endmodule
