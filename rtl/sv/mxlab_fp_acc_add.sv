// Fused accumulate: res = RNE(acc + (-1)^b_neg * b_mag * 2^b_exp), one rounding (mirrors rtl/models/fp_acc.cpp).
// Both operands are normalized to W-bit significands, the smaller is aligned with a jammed sticky bit, three
// extra bits (guard, round, sticky) make the single round-half-to-even exact (IEEE 754-2019 4.3.1 roundTiesToEven).
// Flags {invalid, nan_in, overflow, underflow, inexact}; an exact zero result is +0.
module mxlab_fp_acc_add #(
    parameter integer E = 8,       // accumulator exponent bits
    parameter integer M = 23,      // accumulator mantissa bits
    parameter integer MAG_W = 40,  // block magnitude width
    parameter integer XW = 13      // signed exponent width
) (
    input  logic                 [E+M:0]     acc,
    input  logic                             b_nan,
    input  logic                             b_invalid,  // b's NaN was created (0 x Inf, Inf - Inf)
    input  logic                             b_inf,
    input  logic                             b_neg,
    input  logic                 [MAG_W-1:0] b_mag,
    input  logic signed          [XW-1:0]    b_exp,
    output logic                 [E+M:0]     res,
    output logic                 [4:0]       flags
);
  localparam integer W = (MAG_W > M + 1) ? MAG_W : M + 1;
  localparam integer RW = W + 4;
  localparam integer BIAS = (1 << (E - 1)) - 1;
  localparam integer EMIN = 1 - BIAS;
  localparam logic [E-1:0] EONES = {E{1'b1}};
  localparam logic [E+M:0] QNAN = {1'b0, EONES, 1'b1, {(M - 1) {1'b0}}};
  localparam logic [E+M:0] INF = {1'b0, EONES, {M{1'b0}}};

  localparam integer LW = $clog2(W);
  localparam integer LR = $clog2(RW);
  // index of the top set bit (0 for x = 0): binary-search leading-one detector, log2 steps
  function automatic logic signed [XW-1:0] msb_w(input logic [W-1:0] x);
    logic [W-1:0] v;
    v = x;
    msb_w = '0;
    for (integer k = LW - 1; k >= 0; k = k - 1) begin
      if ((v >> (1 << k)) != '0) begin
        v = v >> (1 << k);
        msb_w = msb_w + XW'(1 << k);
      end
    end
  endfunction
  function automatic logic signed [XW-1:0] msb_r(input logic [RW-1:0] x);
    logic [RW-1:0] v;
    v = x;
    msb_r = '0;
    for (integer k = LR - 1; k >= 0; k = k - 1) begin
      if ((v >> (1 << k)) != '0) begin
        v = v >> (1 << k);
        msb_r = msb_r + XW'(1 << k);
      end
    end
  endfunction

  logic a_neg, a_nan, a_inf, a_z, b_z, b_larger, p_neg, q_neg, q_z, guard, sticky, up, normal;
  logic [E-1:0] ae;
  logic [M-1:0] am;
  logic [W-1:0] a_sig, b_sig, a_n, b_n, p_n, q_n;
  logic signed [XW-1:0] a_exp, a_e, b_e, p_e, q_e, d, base, e_r, e_b, s, e_fin, field;
  logic [W+2:0] p3, q3, q_full;
  logic [RW-1:0] r, q;

  always_comb begin
    a_neg = acc[E+M];
    ae = acc[E+M-1:M];
    am = acc[M-1:0];
    a_nan = (ae == EONES) && (am != '0);
    a_inf = (ae == EONES) && (am == '0);
    // unpack and normalize both operands: value = n * 2^(e - (W-1)), n[W-1] = 1
    a_sig = W'({ae != '0, am});
    a_exp = ((ae == '0) ? XW'(1) : XW'(ae)) - XW'(BIAS + M);
    a_z = a_sig == '0;
    a_n = a_sig << (XW'(W - 1) - msb_w(a_sig));
    a_e = a_exp + msb_w(a_sig);
    b_sig = W'(b_mag);
    b_z = b_sig == '0;
    b_n = b_sig << (XW'(W - 1) - msb_w(b_sig));
    b_e = b_exp + msb_w(b_sig);
    // P = larger magnitude, Q aligned to it with the shifted-out bits jammed into the sticky bit
    b_larger = a_z || (!b_z && (b_e > a_e || (b_e == a_e && b_n > a_n)));
    p_n = b_larger ? b_n : a_n;
    q_n = b_larger ? a_n : b_n;
    p_e = b_larger ? b_e : a_e;
    q_e = b_larger ? a_e : b_e;
    p_neg = b_larger ? b_neg : a_neg;
    q_neg = b_larger ? a_neg : b_neg;
    q_z = b_larger ? a_z : b_z;
    d = p_e - q_e;
    p3 = {p_n, 3'b000};
    q_full = {q_n, 3'b000};
    if (q_z) q3 = '0;
    else if (d >= XW'(W + 3)) q3 = (W + 3)'(1);
    else q3 = (q_full >> d) | (W + 3)'((q_full & ~({(W + 3) {1'b1}} << d)) != '0);
    r = (p_neg != q_neg) ? RW'(p3) - RW'(q3) : RW'(p3) + RW'(q3);
    // round once: result LSB at exponent max(e_r, EMIN) - M
    base = p_e - XW'(W + 2);
    e_r = base + msb_r(r);
    e_b = (e_r > XW'(EMIN)) ? e_r : XW'(EMIN);
    s = e_b - XW'(M) - base;
    guard = 1'b0;
    sticky = 1'b0;
    if (s <= 0) q = r << (-s);
    else if (s > XW'(RW)) begin
      q = '0;
      sticky = r != '0;
    end else begin
      q = r >> s;
      guard = r[s-1];
      sticky = (r & ~({RW{1'b1}} << (s - 1))) != '0;
    end
    up = guard && (sticky || q[0]);
    q = q + RW'(up);
    e_fin = e_b;
    if (q[M+1]) begin
      q = q >> 1;
      e_fin = e_b + 1;
    end
    normal = q[M];
    field = normal ? e_fin + XW'(BIAS) : '0;
    flags = {3'b000, (guard || sticky) && (e_r < XW'(EMIN)), guard || sticky};
    res = {p_neg, field[E-1:0], q[M-1:0]};
    if (r == '0) begin
      res = '0;
      flags = '0;
    end else if (normal && field >= XW'(EONES)) begin
      res = INF | {p_neg, {(E + M) {1'b0}}};
      flags = 5'b00101;
    end
    // specials (checked last, they win): NaN in, Inf - Inf, Inf + finite
    if (a_nan) begin
      res = QNAN;
      flags = '0;
    end else if (b_nan) begin
      res = QNAN;
      flags = b_invalid ? 5'b10000 : 5'b01000;
    end else if (a_inf && b_inf && a_neg != b_neg) begin
      res = QNAN;
      flags = 5'b10000;
    end else if (a_inf) begin
      res = acc;
      flags = '0;
    end else if (b_inf) begin
      res = INF | {b_neg, {(E + M) {1'b0}}};
      flags = '0;
    end
  end
endmodule
