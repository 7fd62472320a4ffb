// Block dot-product unit: acc <- RNE(acc + X_A X_B sum_i A_i B_i) per block pair (OCP MX v1.0 6.1 Dot, 6.2
// DotGeneral with an FP32 accumulator). Exact products and exact block sum, scale applied by exponent add.
// Three stages (input register | decode+multiply, block sum+scale | accumulate), valid/ready, one block pair per cycle.
// SCALE (ScaleType of formats/format.hpp): SCALE_E8M0 (MX, 0xFF NaN) or SCALE_UE4M3 (NVFP4, 0x7F NaN, may be 0).
module mxlab_block_dot #(
    parameter integer N = 32,
    parameter integer ELEM_A = 4,  // element type id, or ELEM_ANY: chosen per block by in_sel_a
    parameter integer ELEM_B = 4,
    parameter integer SCALE = mxlab_formats_pkg::SCALE_E8M0,
    parameter integer ACC_E = 8,   // accumulator: IEEE-style binary format, FP32 by default
    parameter integer ACC_M = 23
) (
    input  logic               clk,
    input  logic               rst_n,
    input  logic               in_valid,
    output logic               in_ready,
    input  logic               in_clear,  // start a new accumulation at +0 with this block
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] in_sel_a,
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] in_sel_b,
    input  logic [N*8-1:0]     in_a,      // element codes, lane i in bits [8i, 8i+8)
    input  logic [N*8-1:0]     in_b,
    input  logic [7:0]         in_xa,
    input  logic [7:0]         in_xb,
    output logic               out_valid,
    input  logic               out_ready,
    output logic [ACC_E+ACC_M:0] out_acc,
    output logic [4:0]         out_flags  // {invalid, nan_in, overflow, underflow, inexact} of this block
);
  localparam integer XW = 13;
  localparam integer SIGW_A = mxlab_formats_pkg::elem_sig_w(ELEM_A);
  localparam integer SIGW_B = mxlab_formats_pkg::elem_sig_w(ELEM_B);
  localparam integer SHW_A = (mxlab_formats_pkg::elem_sh_max(ELEM_A) < 2) ? 1 : $clog2(mxlab_formats_pkg::elem_sh_max(ELEM_A) + 1);
  localparam integer SHW_B = (mxlab_formats_pkg::elem_sh_max(ELEM_B) < 2) ? 1 : $clog2(mxlab_formats_pkg::elem_sh_max(ELEM_B) + 1);
  localparam integer PW = mxlab_formats_pkg::elem_mag_w(ELEM_A) + mxlab_formats_pkg::elem_mag_w(ELEM_B);
  localparam integer SUM_W = PW + $clog2(N) + 1;  // signed exact block sum
  localparam integer SE = (SCALE == mxlab_formats_pkg::SCALE_E8M0) ? mxlab_formats_pkg::ELEM_E8M0 : mxlab_formats_pkg::ELEM_UE4M3;
  localparam integer SSIG_W = (SCALE == mxlab_formats_pkg::SCALE_E8M0) ? 1 : 8;  // product of the two scale significands
  localparam integer MAG_W = SUM_W - 1 + SSIG_W;
  localparam integer LSB_SUM = mxlab_formats_pkg::elem_lsb(ELEM_A) + mxlab_formats_pkg::elem_lsb(ELEM_B)
                               + 2 * mxlab_formats_pkg::elem_lsb(SE);

  // Narrow path: both element types fixed, at most 4 bits wide, without special values (FP4/INT4/INT2).
  localparam integer NARROW = (ELEM_A != mxlab_formats_pkg::ELEM_ANY && ELEM_B != mxlab_formats_pkg::ELEM_ANY
                               && mxlab_formats_pkg::elem_bits(ELEM_A) <= 4 && mxlab_formats_pkg::elem_bits(ELEM_B) <= 4
                               && mxlab_formats_pkg::elem_specials(ELEM_A) == 0
                               && mxlab_formats_pkg::elem_specials(ELEM_B) == 0) ? 1 : 0;
  // exact value of a code (low elem_bits bits used) of a fixed type without specials, in units of 2^elem_lsb;
  // the same decode as mxlab_elem_decode_fixed: INT two's complement, FP sig = {E != 0, M}, sh = max(E, 1) - 1
  function automatic integer elem_val(input integer e, input integer code);
    integer nb, eb, mb, c, ef, mf;
    nb = mxlab_formats_pkg::elem_bits(e);
    eb = mxlab_formats_pkg::elem_ebits(e);
    mb = mxlab_formats_pkg::elem_mbits(e);
    c = code % (1 << nb);
    if (mxlab_formats_pkg::elem_is_int(e) != 0) begin
      elem_val = (c >= (1 << (nb - 1))) ? c - (1 << nb) : c;
    end else begin
      ef = (c / (1 << mb)) % (1 << eb);
      mf = c % (1 << mb);
      elem_val = (ef != 0) ? (((1 << mb) + mf) * (1 << (ef - 1))) : mf;
      if (mxlab_formats_pkg::elem_is_signed(e) != 0 && c >= (1 << (nb - 1))) elem_val = -elem_val;
    end
  endfunction
  localparam integer LUT_W = (NARROW != 0) ? SUM_W : 1;  // keeps the unused table small in wide instances
  // product table, entry {a[3:0], b[3:0]}: SUM_W-bit two's complement A*B (dummy argument for old tools)
  function automatic logic [256*LUT_W-1:0] prod_lut(input integer dummy);
    integer k;
    prod_lut = '0;
    for (k = 0; k < 256 + 0 * dummy; k = k + 1) begin
      prod_lut[k*LUT_W+:LUT_W] = LUT_W'(elem_val(ELEM_A, k / 16) * elem_val(ELEM_B, k % 16));
    end
  endfunction

  logic adv;  // the whole pipeline moves when the output register is free
  assign adv = !out_valid || out_ready;
  assign in_ready = adv;

  // ---- stage 1: input register (codes, types, scales); decode and exact products are combinational after it,
  // so a simulator evaluates them once per clock edge rather than on every input change.
  logic v1, c1;
  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] sel_a1, sel_b1;
  logic [N*8-1:0] a1, b1;
  logic [7:0] xa1, xb1;
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) v1 <= 1'b0;
    else if (adv) v1 <= in_valid;
  end
  always_ff @(posedge clk) begin
    if (adv) begin
      c1 <= in_clear;
      sel_a1 <= in_sel_a;
      sel_b1 <= in_sel_b;
      a1 <= in_a;
      b1 <= in_b;
      xa1 <= in_xa;
      xb1 <= in_xb;
    end
  end

  // decode, exact products sig_a sig_b 2^(sh_a + sh_b), special-value lanes
  logic [N-1:0] l_nan, l_zinf, l_pinf, l_ninf;
  logic signed [SUM_W-1:0] l_prod[N];  // lane i: signed exact product
  genvar i;
  generate
    if (NARROW != 0) begin : g_narrow
      // both element types fixed, at most 4 bits, no special values: one table lookup per lane,
      // (a code, b code) -> signed exact product in units of 2^(lsb_a + lsb_b)
      localparam logic [256*LUT_W-1:0] PLUT = prod_lut(ELEM_A);
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_n;
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused_n = ^{sel_a1, sel_b1, a1, b1};
      assign l_nan = '0;
      assign l_zinf = '0;
      assign l_pinf = '0;
      assign l_ninf = '0;
      for (i = 0; i < N; i = i + 1) begin : g_lane
        assign l_prod[i] = PLUT[32'({a1[i*8+:4], b1[i*8+:4]}) * SUM_W +: SUM_W];
      end
    end else begin : g_wide
      for (i = 0; i < N; i = i + 1) begin : g_lane
        logic an, ai, ag, bn, bi, bg;
        logic [SIGW_A-1:0] as;
        logic [SIGW_B-1:0] bs;
        logic [SHW_A-1:0] ah;
        logic [SHW_B-1:0] bh;
        logic [PW-1:0] mag;
        mxlab_elem_decode #(.ELEM(ELEM_A)) u_a (.code(a1[i*8+:8]), .sel(sel_a1), .nan(an), .inf(ai), .neg(ag), .sig(as), .sh(ah));
        mxlab_elem_decode #(.ELEM(ELEM_B)) u_b (.code(b1[i*8+:8]), .sel(sel_b1), .nan(bn), .inf(bi), .neg(bg), .sig(bs), .sh(bh));
        always_comb begin
          mag = (PW'(as) * PW'(bs)) << (PW'(ah) + PW'(bh));
          l_prod[i] = (ag != bg) ? -(SUM_W'(mag)) : SUM_W'(mag);
          l_nan[i] = an || bn;
          l_zinf[i] = (ai && bs == '0) || (bi && as == '0);
          l_pinf[i] = (ai || bi) && !l_zinf[i] && (ag == bg);
          l_ninf[i] = (ai || bi) && !l_zinf[i] && (ag != bg);
        end
      end
    end
  endgenerate
  // scales: E8M0 2^(x-127) (OCP MX v1.0 5.4) or UE4M3 sig 2^(sh - 9)
  logic sa_nan, sb_nan;
  /* verilator lint_off UNUSEDSIGNAL */
  logic sa_inf, sa_neg, sb_inf, sb_neg;  // scales have no Inf and no sign
  /* verilator lint_on UNUSEDSIGNAL */
  logic [7:0] sa_sig, sb_sig, sa_sh, sb_sh;
  mxlab_elem_decode_fixed #(.ELEM(SE)) u_sa (.code(xa1), .nan(sa_nan), .inf(sa_inf), .neg(sa_neg), .sig(sa_sig), .sh(sa_sh));
  mxlab_elem_decode_fixed #(.ELEM(SE)) u_sb (.code(xb1), .nan(sb_nan), .inf(sb_inf), .neg(sb_neg), .sig(sb_sig), .sh(sb_sh));

  logic nan1, zinf1, pinf1, ninf1, szero1;
  logic [SSIG_W-1:0] ssig1;
  logic signed [XW-1:0] sexp1;
  always_comb begin
    nan1 = (|l_nan) || sa_nan || sb_nan;
    zinf1 = |l_zinf;
    pinf1 = |l_pinf;
    ninf1 = |l_ninf;
    szero1 = (sa_sig == 8'd0) || (sb_sig == 8'd0);
    ssig1 = SSIG_W'(16'(sa_sig) * 16'(sb_sig));
    sexp1 = XW'({1'b0, sa_sh}) + XW'({1'b0, sb_sh}) + XW'(LSB_SUM);
  end

  // ---- stage 2: exact block sum, sign-magnitude, times the scale significands
  logic signed [SUM_W-1:0] sum;
  logic [SUM_W-1:0] sum_abs;
  always_comb begin
    sum = '0;
    for (integer k = 0; k < N; k = k + 1) sum = sum + l_prod[k];
    sum_abs = sum[SUM_W-1] ? -sum : sum;
  end
  logic v2, c2, nan2, inv2, inf2, neg2;
  logic [MAG_W-1:0] mag2;
  logic signed [XW-1:0] exp2;
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) v2 <= 1'b0;
    else if (adv) v2 <= v1;
  end
  always_ff @(posedge clk) begin
    if (adv) begin
      c2 <= c1;
      // NaN: a NaN input (nan_in), else 0 x Inf, +Inf + -Inf, Inf x zero scale (invalid)
      nan2 <= nan1 || zinf1 || (pinf1 && ninf1) || ((pinf1 || ninf1) && szero1);
      inv2 <= !nan1;
      inf2 <= pinf1 || ninf1;
      neg2 <= (pinf1 || ninf1) ? ninf1 : sum[SUM_W-1];
      mag2 <= MAG_W'(sum_abs) * MAG_W'(ssig1);
      exp2 <= sexp1;
    end
  end

  // ---- stage 3: accumulate with one rounding; the output register is the accumulator
  logic [ACC_E+ACC_M:0] acc_next;
  logic [4:0] flags_next;
  mxlab_fp_acc_add #(.E(ACC_E), .M(ACC_M), .MAG_W(MAG_W), .XW(XW)) u_acc (
      .acc(c2 ? '0 : out_acc), .b_nan(nan2), .b_invalid(inv2), .b_inf(inf2), .b_neg(neg2), .b_mag(mag2),
      .b_exp(exp2), .res(acc_next), .flags(flags_next));
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_acc <= '0;
      out_flags <= '0;
    end else if (adv) begin
      out_valid <= v2;
      if (v2) begin
        out_acc <= acc_next;
        out_flags <= flags_next;
      end
    end
  end
endmodule
