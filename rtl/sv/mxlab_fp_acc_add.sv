// The accumulator loop: r = RNE(a + b), one rounding (IEEE 754-2019 4.3.1 roundTiesToEven), the arithmetic of
// formats/accumulate.hpp acc_add. Built for a short loop: a (the accumulator) arrives unpacked as the previous cycle
// left it and b pre-normalized outside the loop (mxlab_block_dot), and the add takes two paths side by side (the
// classic far/near split), each short by construction: far (an effective addition, or exponents 2 or more apart):
// both operands aligned by their own difference with a jammed sticky bit, compound sums (X +- Y and X +- Y + ulp for
// each shift <= 2) so the rounding is a choice; near (an effective subtraction with exponents at most 1 apart):
// started from the two low exponent bits, every difference formed straight from the operands, normalized by a
// binary search that also lowers the exponent. One rounding per result (none for an exact near result).
// Unpacked form: value = (-1)^neg * sig * 2^(e - BIAS - M), e the biased exponent of bit M, e >= 1; sig[M] = 0
// only for zero and subnormals (e = 1). b: value = (-1)^b_neg * b_sig * 2^(b_e - BIAS - (BW - 1)), b_sig with its
// msb set, b_e clamped into [-(max(BW, M + 1) + 2), 2^E] (which changes no result); a zero b has the lowest b_e.
// Overflow is left to the reader, off the loop: a finite result (neither r_nan nor r_inf) with r_e >= 2^E - 1 is
// +-Inf with flags overflow | inexact, and an a in that state is taken as +-Inf.
// Flags {invalid, nan_in, 0, underflow (tiny before rounding and inexact), inexact}; an exact zero is +0.
module mxlab_fp_acc_add #(
    parameter integer E = 8,    // accumulator exponent bits
    parameter integer M = 23,   // accumulator mantissa bits
    parameter integer BW = 24,  // width of b's significand
    parameter integer XW = 11   // signed exponent width: holds [-(max(BW, M + 1) + 2), 2^E + 3]
) (
    input  logic                 a_nan,
    input  logic                 a_inf,
    input  logic                 a_neg,
    input  logic signed [XW-1:0] a_e,
    input  logic        [M:0]    a_sig,
    input  logic                 b_nan,
    input  logic                 b_invalid,  // b's NaN was created (0 x Inf, Inf - Inf)
    input  logic                 b_inf,
    input  logic                 b_neg,
    input  logic signed [XW-1:0] b_e,
    input  logic        [BW-1:0] b_sig,
    output logic                 r_nan,
    output logic                 r_inf,
    output logic                 r_neg,
    output logic signed [XW-1:0] r_e,
    output logic        [M:0]    r_sig,
    output logic        [4:0]    flags
);
  localparam integer W = (BW > M + 1) ? BW : M + 1;  // common significand width
  localparam integer FW = W + 4;                     // frame: carry, W bits, guard, round, sticky
  localparam integer LP = $clog2(FW);
  localparam logic signed [XW-1:0] EONES = XW'((1 << E) - 1);
  // W = M + 1 (b no wider than the accumulator): a near result with >= 2 bits cancelled and an exponent >= 2 is
  // exact (its lowest bit lands above the guard), so the near path skips the rounding and takes only those results;
  // a near-path subtraction with 0 or 1 bit cancelled (or a subnormal X) goes through the far path, which
  // normalizes by <= 2 and rounds. Otherwise (W > M + 1) the near path is rounded like the far one.
  localparam bit NEAR_EXACT = (W == M + 1);

  logic a_ovf, a_ge, x_neg, y_neg, sub, near, use_n, n_zero, f_neg, n_ge, n_xneg, n_yneg, n_neg, neg, zero, r_carry;
  logic signed [XW-1:0] d_ab, d_ba, d, ex, nex, f_sh, f_en, f_ec, n_en, e_n, e_c;
  logic [1:0] q;
  logic [W-1:0] an, bn;
  logic [W+2:0] x3, y3, a3, b3, a3h, b3h;
  logic [FW-1:0] f_add, f_s1, f_s2, f_r, n_s1, n_s2, n_r, n_rn, f_add_u0, f_add_u1, f_s1_u1, f_s1_u2, f_s2_u1;
  localparam logic [FW-1:0] ULP0 = FW'(1) << (FW - 1 - M);  // the rounding ulp in f_r's frame for a shift of 0
  localparam logic [FW-1:0] ULP1 = ULP0 >> 1, ULP2 = ULP0 >> 2;  // ... of 1 and 2
  logic signed [XW-1:0] n_en1, n_en2;
  logic [FW-1:0] n_rn1, n_rn2;
  logic [M+3:0] f_q0, f_q1, f_q2, f_q, n_q, rq;  // round_at results
  // leading zeros of the near result, stopped at ex by a marker bit: a shift of min(lz, ex) keeps the exponent >= 1
  logic [FW-1:0] n_stop;

  // r shifted left by its leading zeros, counted down to the marker bit of stop, in one binary search (16, 8, 4, 2, 1:
  // the shift is done when the count is), like mxlab_lzc: the search runs on r | stop with ones below (so it stops
  // by FW), r moves in lockstep, and the exponent e0 drops by each step's shift as it goes (no subtraction after
  // the count). Returns {e0 - count, shifted r}.
  function automatic logic [XW+FW-1:0] norm_lz(input logic [FW-1:0] r, input logic [FW-1:0] stop,
                                               input logic signed [XW-1:0] e0);
    logic [(1 << LP)-1:0] v;
    logic [FW-1:0] rr, rs;
    logic signed [XW-1:0] e;
    rs = r | stop;
    v = ((1 << LP)'(rs) << ((1 << LP) - FW)) | ({(1 << LP) {1'b1}} >> FW);
    rr = r;
    e = e0;
    for (integer k = LP - 1; k >= 0; k = k - 1) begin
      if ((v >> ((1 << LP) - (1 << k))) == '0) begin
        e = e - XW'(1 << k);
        v = v << (1 << k);
        rr = rr << (1 << k);
      end
    end
    norm_lz = {e, rr};
  endfunction

  // {s, 000} >> d with the shifted-out bits jammed into bit 0
  function automatic logic [W+2:0] align(input logic [W-1:0] s, input logic signed [XW-1:0] dd);
    logic [W+2:0] s3;
    s3 = {s, 3'b000};
    if (dd >= XW'(W + 3)) align = (W + 3)'(s != '0);
    else align = (s3 >> dd) | (W + 3)'((s3 & ~({(W + 3) {1'b1}} << dd)) != '0);
  endfunction

  // RNE at bit FW-1-M of a normalized frame rn (msb at bit FW-1, lower only for a subnormal): guard below it, sticky
  // below the guard; a carry out renormalizes by one. rn_inc = rn + 2^(FW-1-M), computed beside rn (a compound
  // adder), so the increment is a choice, not a second carry chain. Returns {carry, underflow, inexact, significand}.
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [M+3:0] round_at(input logic [FW-1:0] rn, input logic [FW-1:0] rn_inc);
    /* verilator lint_on UNUSEDSIGNAL */
    logic [M:0] sig, sig_inc, rs;
    logic guard, sticky, up, carry;
    logic [1:0] fl;
    sig = rn[FW-1-:M+1];
    sig_inc = rn_inc[FW-1-:M+1];
    guard = rn[FW-M-2];
    sticky = rn[FW-M-3:0] != '0;
    up = guard && (sticky || sig[0]);
    carry = up && sig == '1;
    rs = !up ? sig : carry ? {1'b1, {M{1'b0}}} : sig_inc;
    fl = {(guard || sticky) && !rn[FW-1], guard || sticky};  // tiny: the msb stayed below bit FW-1
    round_at = {carry, fl, rs};
  endfunction

  always_comb begin
    an = {a_sig, {(W - M - 1) {1'b0}}};
    bn = (W == BW) ? W'(b_sig) : W'({b_sig, {(W - BW) {1'b0}}});
    // far path: X the operand of larger (or equal) exponent ex, Y the other, d = the exponent difference; both
    // operands are aligned side by side by their own difference (no operand mux in front of the shifters), and Y
    // is picked after; |X +- Y| (Y > X only for a subnormal X)
    d_ab = a_e - b_e;
    d_ba = b_e - a_e;
    a_ge = !d_ab[XW-1];
    x_neg = a_ge ? a_neg : b_neg;
    y_neg = a_ge ? b_neg : a_neg;
    ex = a_ge ? a_e : b_e;
    d = ({XW{a_ge}} & d_ab) | ({XW{!a_ge}} & d_ba);  // and-or picks here and below: see n_s1
    sub = a_neg != b_neg;
    near = sub && d <= XW'(1);
    x3 = a_ge ? {an, 3'b000} : {bn, 3'b000};
    y3 = a_ge ? align(bn, d_ab) : align(an, d_ba);
    f_add = FW'(x3) + FW'(y3);
    f_s1 = FW'(x3) - FW'(y3);
    f_s2 = FW'(y3) - FW'(x3);
    f_r = ({FW{!sub}} & f_add) | ({FW{sub && !f_s1[FW-1]}} & f_s1) | ({FW{sub && f_s1[FW-1]}} & f_s2);
    f_neg = (sub && f_s1[FW-1]) ? y_neg : x_neg;
    // the msb is at bit FW-1, FW-2 or FW-3 (lower only for a subnormal X, where ex = 1 stops the shift at 1)
    f_sh = f_r[FW-1] ? XW'(0) : (f_r[FW-2] || ex == XW'(1)) ? XW'(1) : XW'(2);
    // rounded for each shift side by side, from compound sums (X +- Y + ulp beside X +- Y: no increment after the
    // add), then picked: a shift of 0 only follows an addition, 2 only X - Y; Y - X only occurs for ex = 1 (shift 1).
    // The exponent of bit FW-1 after the shift (and after a carry out of the rounding) is picked the same way.
    f_add_u0 = FW'(x3) + FW'(y3) + ULP0;
    f_add_u1 = FW'(x3) + FW'(y3) + ULP1;
    f_s1_u1 = FW'(x3) - FW'(y3) + ULP1;
    f_s1_u2 = FW'(x3) - FW'(y3) + ULP2;
    f_s2_u1 = FW'(y3) - FW'(x3) + ULP1;
    f_q0 = round_at(f_add, f_add_u0);
    f_q1 = !sub ? round_at(f_add << 1, f_add_u1 << 1)
         : f_s1[FW-1] ? round_at(f_s2 << 1, f_s2_u1 << 1) : round_at(f_s1 << 1, f_s1_u1 << 1);
    f_q2 = round_at(f_s1 << 2, f_s1_u2 << 2);
    f_q = (f_sh == XW'(0)) ? f_q0 : (f_sh == XW'(1)) ? f_q1 : f_q2;
    f_en = ({XW{f_sh == XW'(0)}} & (ex + XW'(1))) | ({XW{f_sh == XW'(1)}} & ex)
         | ({XW{f_sh == XW'(2)}} & (ex - XW'(1)));
    f_ec = ({XW{f_sh == XW'(0)}} & (ex + XW'(2))) | ({XW{f_sh == XW'(1)}} & (ex + XW'(1)))
         | ({XW{f_sh == XW'(2)}} & ex);
    // near path (taken only when the exponents are at most 1 apart, so their two low bits q tell the order and the
    // alignment, with no wait for the full difference): Y shifted by <= 1 loses nothing; |X - Y|, leading zeros,
    // shift (exponent kept >= 1)
    q = a_e[1:0] - b_e[1:0];
    n_ge = q != 2'd3;
    n_xneg = n_ge ? a_neg : b_neg;
    n_yneg = n_ge ? b_neg : a_neg;
    nex = n_ge ? a_e : b_e;
    // X - Y and Y - X for each order and alignment straight from the operands, picked after (no mux in front)
    a3 = {an, 3'b000};
    b3 = {bn, 3'b000};
    {a3h, b3h} = {a3 >> 1, b3 >> 1};
    // (an and-or pick: a ?: would let Yosys opt_share fold the subtractors back into one behind an operand mux)
    n_s1 = ({FW{!q[0]}} & (FW'(a3) - FW'(b3))) | ({FW{q[0] && n_ge}} & (FW'(a3) - FW'(b3h)))
         | ({FW{q[0] && !n_ge}} & (FW'(b3) - FW'(a3h)));
    n_s2 = ({FW{!q[0]}} & (FW'(b3) - FW'(a3))) | ({FW{q[0] && n_ge}} & (FW'(b3h) - FW'(a3)))
         | ({FW{q[0] && !n_ge}} & (FW'(a3h) - FW'(b3)));
    n_r = n_s1[FW-1] ? n_s2 : n_s1;
    n_stop = (nex < XW'(FW)) ? FW'(1) << (XW'(FW - 1) - nex) : '0;
    // both differences normalized side by side (the sign picks one after, not before the count)
    {n_en1, n_rn1} = norm_lz(n_s1, n_stop, nex + XW'(1));
    {n_en2, n_rn2} = norm_lz(n_s2, n_stop, nex + XW'(1));
    n_en = n_s1[FW-1] ? n_en2 : n_en1;  // biased exponent of bit FW-1 of n_rn
    n_rn = n_s1[FW-1] ? n_rn2 : n_rn1;
    n_neg = n_s1[FW-1] ? n_yneg : n_xneg;
  end

  always_comb begin
    n_zero = (!q[0] && a3 == b3) || (q[0] && n_ge && a3 == b3h) || (q[0] && !n_ge && b3 == a3h);
    use_n = NEAR_EXACT ? near && !n_r[FW-2] && nex != XW'(1) : near;
    // the rounded result: the far path's (or, W > M + 1, the near path's)
    n_q = round_at(n_rn, n_rn + ULP0);
    rq = (use_n && !NEAR_EXACT) ? n_q : f_q;
    neg = (use_n && !NEAR_EXACT) ? n_neg : f_neg;
    e_n = (use_n && !NEAR_EXACT) ? n_en : f_en;  // biased exponent of bit FW-1 of the normalized result
    e_c = (use_n && !NEAR_EXACT) ? n_en + XW'(1) : f_ec;  // the same after a carry out of the rounding
    zero = (use_n && !NEAR_EXACT) ? n_zero : f_r == '0;
    r_carry = rq[M+3];
    r_sig = rq[M:0];
    // an exact zero is +0 with exponent 1; an overflow (r_e >= 2^E - 1) is left to the reader
    r_e = zero ? XW'(1) : r_carry ? e_c : e_n;
    r_neg = neg && !zero;
    r_nan = 1'b0;
    r_inf = 1'b0;
    flags = {3'b000, rq[M+2:M+1]};
    if (NEAR_EXACT && use_n) begin  // the exact near result: no rounding, no flags
      r_sig = n_rn[FW-1-:M+1];
      r_e = n_zero ? XW'(1) : n_en;
      r_neg = n_neg && !n_zero;
      flags = '0;
    end
    // specials (checked last, they win): NaN in, Inf - Inf, Inf + finite
    a_ovf = a_inf || a_e >= EONES;
    if (a_nan) begin
      r_nan = 1'b1;
      flags = '0;
    end else if (b_nan) begin
      r_nan = 1'b1;
      flags = b_invalid ? 5'b10000 : 5'b01000;
    end else if (a_ovf && b_inf && a_neg != b_neg) begin
      r_nan = 1'b1;
      flags = 5'b10000;
    end else if (a_ovf) begin
      r_inf = 1'b1;
      r_neg = a_neg;
      flags = '0;
    end else if (b_inf) begin
      r_inf = 1'b1;
      r_neg = b_neg;
      flags = '0;
    end
  end
endmodule
