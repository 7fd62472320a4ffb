// r = RNE(a * b) in one IEEE-style binary format (E exponent bits, M mantissa bits, subnormals, all-ones exponent
// Inf/NaN): the block dot unit's tensor-scale epilogue (TSCALE), out = acc * alpha, the exact GEMM's
// float(acc) * fl32(ga * gw) (formats/exact_gemm.cpp epilogue). One rounding (IEEE 754-2019 4.3.1), in two stages:
// the exact significand product (and the specials), a register (PIPE != 0, valid with reset), then leading zeros,
// subnormal shift and rounding. a is the accumulator, b the scale.
// Specials in this order: a NaN -> canonical NaN, no flag (the accumulator's own flags already told); b NaN ->
// canonical NaN, nan_in; 0 x Inf -> canonical NaN, invalid; Inf x nonzero -> Inf. A zero product is a zero of sign
// a_s ^ b_s, exact; otherwise the exact product sig_a sig_b is rounded once.
// Flags {invalid, nan_in, overflow, underflow (tiny before rounding and inexact), inexact}, those of the accumulator.
module mxlab_fp_mul #(
    parameter integer E = 8,
    parameter integer M = 23,
    parameter integer PIPE = 1  // register between the product and the rounding
) (
    input  logic         clk,
    input  logic         rst_n,
    input  logic         v_in,
    input  logic [E+M:0] a,
    input  logic [E+M:0] b,
    output logic         v_out,
    output logic [E+M:0] r,
    output logic [4:0]   flags
);
  localparam integer PW = 2 * (M + 1);     // exact product of the significands
  localparam integer BIAS = (1 << (E - 1)) - 1;
  localparam integer XW = E + 4;           // signed exponent: holds [2 - BIAS - 2M, 2^(E+1) - BIAS]
  localparam integer LZW = $clog2(PW + 1);
  localparam logic [E-1:0] EONES = {E{1'b1}};
  localparam logic [E+M:0] QNAN = {1'b0, EONES, 1'b1, {(M - 1) {1'b0}}};

  // ---- stage 1: fields, specials, the exact significand product
  logic an, ai, az, bn, bi, bz, neg1, spec1, zero1;
  logic [E-1:0] ea_f, eb_f, ea, eb;
  logic [M:0] sa, sb;
  logic [PW-1:0] p1;
  logic [E+M:0] r_spec1;
  logic [4:0] f_spec1;
  logic signed [XW-1:0] ep1;
  always_comb begin
    ea_f = a[E+M-1:M];
    eb_f = b[E+M-1:M];
    an = ea_f == EONES && a[M-1:0] != '0;
    bn = eb_f == EONES && b[M-1:0] != '0;
    ai = ea_f == EONES && a[M-1:0] == '0;
    bi = eb_f == EONES && b[M-1:0] == '0;
    az = a[E+M-1:0] == '0;
    bz = b[E+M-1:0] == '0;
    neg1 = a[E+M] ^ b[E+M];
    sa = {ea_f != '0, a[M-1:0]};
    sb = {eb_f != '0, b[M-1:0]};
    p1 = PW'(sa) * PW'(sb);
    // max(ea, 1) + max(eb, 1) - BIAS + 1: the biased exponent of the product's msb once its leading zeros are known
    ea = (ea_f == '0) ? E'(1) : ea_f;
    eb = (eb_f == '0) ? E'(1) : eb_f;
    ep1 = XW'(ea) + XW'(eb) - XW'(BIAS - 1);
    zero1 = az || bz;
    spec1 = an || bn || ai || bi;
    if (an) {r_spec1, f_spec1} = {QNAN, 5'b00000};
    else if (bn) {r_spec1, f_spec1} = {QNAN, 5'b01000};
    else if ((ai && bz) || (bi && az)) {r_spec1, f_spec1} = {QNAN, 5'b10000};
    else {r_spec1, f_spec1} = {neg1, EONES, {M{1'b0}}, 5'b00000};  // Inf x nonzero
  end

  logic spec2, zero2, neg2;
  logic [PW-1:0] p;
  logic [E+M:0] r_spec2;
  logic [4:0] f_spec2;
  logic signed [XW-1:0] ep2;
  mxlab_pipe_reg #(.W(3 + PW + E + M + 1 + 5 + XW), .EN(PIPE)) u_r (
      .clk, .rst_n, .v_in, .d({spec1, zero1, neg1, p1, r_spec1, f_spec1, ep1}), .v_out,
      .q({spec2, zero2, neg2, p, r_spec2, f_spec2, ep2}));

  // ---- stage 2: normalize (leading zeros; a subnormal result shifts right), round once, pack
  logic tiny, guard, sticky, up;
  logic [M:0] sig;
  logic [M+1:0] sig_r;
  logic [PW-1:0] pn, pd;
  logic [LZW-1:0] lz;
  logic signed [XW-1:0] er, d, e_r;
  mxlab_lzc #(.W(PW)) u_lzc (.x(p), .lz(lz));
  always_comb begin
    er = ep2 - XW'(lz);  // biased exponent of the product's msb
    tiny = er < XW'(1);  // |a b| < 2^emin, before rounding
    pn = p << lz;
    // subnormal result: shift right by 1 - er, the shifted-out bits jammed into bit 0 (below the guard bit)
    d = tiny ? XW'(1) - er : '0;
    if (d >= XW'(PW)) pd = PW'(pn != '0);
    else pd = (pn >> d) | PW'((pn & ~({PW{1'b1}} << d)) != '0);
    sig = pd[PW-1-:M+1];
    guard = pd[PW-M-2];
    sticky = pd[PW-M-3:0] != '0;
    up = guard && (sticky || sig[0]);
    sig_r = {1'b0, sig} + (M + 2)'(up);
    // e_r: biased exponent of bit M of the rounded significand (1 for subnormals); a carry out renormalizes by one
    e_r = (tiny ? XW'(1) : er) + XW'(sig_r[M+1]);
    flags = {3'b000, tiny && (guard || sticky), guard || sticky};
    if (e_r >= XW'((1 << E) - 1)) begin  // overflow: +-Inf
      r = {neg2, EONES, {M{1'b0}}};
      flags = 5'b00101;
    end else if (sig_r[M+1]) begin
      r = {neg2, e_r[E-1:0], {M{1'b0}}};
    end else begin
      r = {neg2, sig_r[M] ? e_r[E-1:0] : {E{1'b0}}, sig_r[M-1:0]};
    end
    if (zero2) begin
      r = {neg2, {(E + M) {1'b0}}};
      flags = '0;
    end
    if (spec2) begin  // specials win (0 x Inf included)
      r = r_spec2;
      flags = f_spec2;
    end
  end
endmodule
