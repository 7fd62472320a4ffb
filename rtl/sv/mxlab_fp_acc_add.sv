// The accumulator loop: r = RNE(a + b), one rounding (IEEE 754-2019 4.3.1 roundTiesToEven), the arithmetic of
// formats/accumulate.hpp acc_add. Built for a short loop: a (the accumulator) arrives unpacked as the previous cycle
// left it and b pre-normalized outside the loop (mxlab_block_dot), and the add takes two paths side by side (the
// classic far/near split): far (an effective addition, or exponents 2 or more apart): align with a jammed sticky
// bit, add, shift by at most 2; near (an effective subtraction with exponents at most 1 apart): no alignment,
// subtract, count leading zeros, normalize. One rounding after either.
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
  localparam integer LW = $clog2(FW + 1);
  localparam logic signed [XW-1:0] EONES = XW'((1 << E) - 1);

  logic a_ovf, a_ge, x_neg, y_neg, sub, near, f_neg, n_neg, neg, zero, guard, sticky, up, carry;
  logic signed [XW-1:0] d_ab, d_ba, d, ex, f_sh, n_sh, sh, e_n, e_c;
  logic [W-1:0] an, bn, x, y;
  logic [W+2:0] x3, y3f, y3, yn;
  logic [FW-1:0] f_add, f_s1, f_s2, f_r, n_s1, n_s2, n_r, f_rn, n_rn, rn;
  logic [LW-1:0] n_lz;
  logic [M:0] sig, sig_inc;
  // leading zeros of the near result, stopped at ex by a marker bit: n_sh = min(lz, ex) keeps the exponent >= 1
  logic [FW-1:0] n_stop;
  mxlab_lzc #(.W(FW)) u_lzc (.x(n_r | n_stop), .lz(n_lz));

  // {s, 000} >> d with the shifted-out bits jammed into bit 0
  function automatic logic [W+2:0] align(input logic [W-1:0] s, input logic signed [XW-1:0] dd);
    logic [W+2:0] s3;
    s3 = {s, 3'b000};
    if (dd >= XW'(W + 3)) align = (W + 3)'(s != '0);
    else align = (s3 >> dd) | (W + 3)'((s3 & ~({(W + 3) {1'b1}} << dd)) != '0);
  endfunction

  always_comb begin
    an = {a_sig, {(W - M - 1) {1'b0}}};
    bn = (W == BW) ? W'(b_sig) : W'({b_sig, {(W - BW) {1'b0}}});
    // X: the operand of larger (or equal) exponent ex, Y the other, d = the exponent difference
    d_ab = a_e - b_e;
    d_ba = b_e - a_e;
    a_ge = !d_ab[XW-1];
    x = a_ge ? an : bn;
    y = a_ge ? bn : an;
    x_neg = a_ge ? a_neg : b_neg;
    y_neg = a_ge ? b_neg : a_neg;
    ex = a_ge ? a_e : b_e;
    d = a_ge ? d_ab : d_ba;
    sub = x_neg != y_neg;
    near = sub && d <= XW'(1);
    x3 = {x, 3'b000};
    y3f = {y, 3'b000};
    // far path: Y aligned with the shifted-out bits jammed into bit 0 (both choices of Y aligned side by side, so the
    // shifters wait for their own difference only); |X +- Y| (Y > X only for a subnormal X)
    y3 = align(y, d);
    f_add = FW'(x3) + FW'(y3);
    f_s1 = FW'(x3) - FW'(y3);
    f_s2 = FW'(y3) - FW'(x3);
    f_r = !sub ? f_add : f_s1[FW-1] ? f_s2 : f_s1;
    f_neg = (sub && f_s1[FW-1]) ? y_neg : x_neg;
    // the msb is at bit FW-1, FW-2 or FW-3 (lower only for a subnormal X, where ex = 1 stops the shift at 1)
    f_sh = f_r[FW-1] ? XW'(0) : (f_r[FW-2] || ex == XW'(1)) ? XW'(1) : XW'(2);
    f_rn = f_r << f_sh;
    // near path: Y shifted by d <= 1 loses nothing; |X - Y|, leading zeros, shift (exponent kept >= 1)
    yn = d[0] ? y3f >> 1 : y3f;
    n_s1 = FW'(x3) - FW'(yn);
    n_s2 = FW'(yn) - FW'(x3);
    n_r = n_s1[FW-1] ? n_s2 : n_s1;
    n_neg = n_s1[FW-1] ? y_neg : x_neg;
    n_stop = (ex < XW'(FW)) ? FW'(1) << (XW'(FW - 1) - ex) : '0;
  end

  always_comb begin
    n_sh = XW'(n_lz);
    n_rn = n_r << n_sh;
    rn = near ? n_rn : f_rn;
    neg = near ? n_neg : f_neg;
    sh = near ? n_sh : f_sh;
    e_n = ex + XW'(1) - sh;  // biased exponent of bit FW-1 of rn
    e_c = ex + XW'(2) - sh;  // the same after a carry out of the rounding
    zero = near ? n_r == '0 : f_r == '0;
    // round once at bit FW-1-M: guard below it, sticky below the guard; a carry out renormalizes by one
    sig = rn[FW-1-:M+1];
    sig_inc = sig + (M + 1)'(1);
    guard = rn[FW-M-2];
    sticky = rn[FW-M-3:0] != '0;
    up = guard && (sticky || sig[0]);
    carry = up && sig == '1;
    r_sig = !up ? sig : carry ? {1'b1, {M{1'b0}}} : sig_inc;
    // an exact zero is +0 with exponent 1; an overflow (r_e >= 2^E - 1) is left to the reader
    r_e = zero ? XW'(1) : carry ? e_c : e_n;
    r_neg = neg && !zero;
    r_nan = 1'b0;
    r_inf = 1'b0;
    flags = {3'b000, (guard || sticky) && !rn[FW-1], guard || sticky};  // tiny: the msb stayed below bit FW-1
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
