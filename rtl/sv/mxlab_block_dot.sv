// Block dot-product unit: acc <- RNE(acc + X_A X_B sum_i A_i B_i) per block pair (OCP MX v1.0 6.1 Dot, 6.2
// DotGeneral with an FP32 accumulator). Exact products and exact block sum, scale applied by exponent add, one
// rounding per block (formats/accumulate.hpp). One block pair per cycle, valid/ready; in_ready is a credit check on a
// register (mxlab_out_fifo), so no combinational path runs from out_ready to in_ready.
// Pipeline (never stalls): input register | lane products | adder tree | sign-magnitude x scale significands |
// normalize | accumulator loop (mxlab_fp_acc_add) | output FIFO (mxlab_out_fifo). DEPTH (1..4) registers sit between
// the input register and the accumulator (depth_cuts); latency DEPTH + 3 cycles.
// SCALE (ScaleType of formats/format.hpp, mxlab_scale_decode): SCALE_E8M0 (MX, 0xFF NaN), SCALE_UE4M3 (NVFP4, 0x7F
// NaN, may be 0), SCALE_FP32 (IEEE binary32 per block: signed, zero, subnormal; Inf/NaN = NaN block; INT elements are
// integers) or SCALE_FP32_ZERO (the same + an 8-bit zero point per block: asymmetric INT, element = code - zero point).
// The scale ports are scale_bits(SCALE) wide (8, 8, 32, 40). The block value is sum * sig_a * sig_b * 2^(...) exactly
// (a 48-bit scale significand product for FP32), added to the accumulator with one rounding.
// TSCALE = 1: the tensor-scale epilogue on the output path (NVFP4's per-tensor FP32 scale): out_acc = RNE(acc *
// in_alpha) (mxlab_fp_mul, two stages off the accumulator loop; in_alpha taken with the block, in the accumulator's
// format), flags = the accumulation's | the multiply's; one more cycle of latency (DEPTH + 4). The accumulator itself
// never sees alpha. TSCALE = 0: in_alpha is unused.
module mxlab_block_dot #(
    parameter integer N = 32,
    parameter integer ELEM_A = 4,  // element type id, or ELEM_ANY: chosen per block by in_sel_a
    parameter integer ELEM_B = 4,
    parameter integer SCALE = mxlab_formats_pkg::SCALE_E8M0,
    parameter integer ACC_E = 8,   // accumulator: IEEE-style binary format, FP32 by default
    parameter integer ACC_M = 23,
    parameter integer DEPTH = 1,   // pipeline registers between the input register and the accumulator
    parameter integer TSCALE = 0,  // 1: output = RNE(acc * in_alpha) (tensor-scale epilogue)
    localparam integer SW = mxlab_formats_pkg::scale_bits(SCALE)
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
    input  logic [SW-1:0]      in_xa,     // block scales (+ zero point: bits [39:32])
    input  logic [SW-1:0]      in_xb,
    input  logic [ACC_E+ACC_M:0] in_alpha, // tensor scale (TSCALE = 1), the accumulator's format
    output logic               out_valid,
    input  logic               out_ready,
    output logic [ACC_E+ACC_M:0] out_acc,
    output logic [4:0]         out_flags  // {invalid, nan_in, overflow, underflow, inexact} of this block
);
  localparam integer XW = 13;
  localparam integer ZW = mxlab_formats_pkg::scale_zp_bits(SCALE);  // zero-point bits (0: none)
  localparam integer ZPW = (ZW > 0) ? ZW : 1;
  // element magnitude widths; asymmetric: |code - zero point| < 2^max(bits, ZW)
  localparam integer BA = mxlab_formats_pkg::elem_bits(ELEM_A), BB = mxlab_formats_pkg::elem_bits(ELEM_B);
  localparam integer MWA = (ZW > 0) ? ((BA > ZW) ? BA : ZW) : mxlab_formats_pkg::elem_mag_w(ELEM_A);
  localparam integer MWB = (ZW > 0) ? ((BB > ZW) ? BB : ZW) : mxlab_formats_pkg::elem_mag_w(ELEM_B);
  localparam integer PW = MWA + MWB;
  localparam integer L = $clog2(N);            // adder tree levels
  localparam integer SUM_W = PW + L + 1;       // signed exact block sum
  localparam integer SCW = mxlab_formats_pkg::scale_sig_w(SCALE);  // one scale significand
  localparam integer SSIG_W = (SCW == 1) ? 1 : 2 * SCW;             // product of the scale significands
  localparam integer MAG_W = SUM_W - 1 + SSIG_W;
  // element LSBs under this scale type (INT per group: integers; MX INT: k * 2^-frac_bits) and the scale LSBs
  localparam integer LSB_SUM = mxlab_formats_pkg::scale_elem_lsb(ELEM_A, SCALE)
                               + mxlab_formats_pkg::scale_elem_lsb(ELEM_B, SCALE)
                               + 2 * mxlab_formats_pkg::scale_lsb(SCALE);
  localparam integer BIAS = (1 << (ACC_E - 1)) - 1;
  localparam integer W_ACC = (MAG_W > ACC_M + 1) ? MAG_W : ACC_M + 1;  // the accumulator adder's significand width
  localparam integer XL = ((ACC_E > $clog2(W_ACC + 3)) ? ACC_E : $clog2(W_ACC + 3)) + 2;  // its exponent width
  localparam integer B_EMIN = -(W_ACC + 2), B_EMAX = 1 << ACC_E;  // b_e clamp (mxlab_fp_acc_add)
  localparam integer SBW = 7 + SSIG_W + XW;   // side band through the tree: clear, lane flags, scale
  localparam integer LZW = $clog2(MAG_W + 1);

  // Stage boundaries 0..L+2 (0: lane products, l: tree level l, L+1: scaled sum, L+2: normalized): which hold a
  // register. DEPTH 1: before the accumulator only; 2: + mid tree; 3: + after the scale; 4: + after the products.
  function automatic integer depth_cuts(input integer depth);
    depth_cuts = 1 << (L + 2);
    if (depth >= 2) depth_cuts = depth_cuts | (1 << ((L + 1) / 2));
    if (depth >= 3) depth_cuts = depth_cuts | (1 << (L + 1));
    if (depth >= 4) depth_cuts = depth_cuts | 1;
  endfunction
  localparam integer CUTS = depth_cuts(DEPTH);
  function automatic integer n_cuts(input integer cuts);
    n_cuts = 0;
    for (integer k = 0; k <= L + 2; k = k + 1) n_cuts = n_cuts + ((cuts >> k) & 1);
  endfunction
  // adder tree level l: ceil(N / 2^l) signed sums of PW + 1 + l bits, all levels in one flat bus
  function automatic integer lvl_n(input integer l);
    lvl_n = (N + (1 << l) - 1) >> l;
  endfunction
  function automatic integer lvl_off(input integer l);
    lvl_off = 0;
    for (integer j = 0; j < l; j = j + 1) lvl_off = lvl_off + lvl_n(j) * (PW + 1 + j);
  endfunction
  localparam integer TB = lvl_off(L + 1), OFF_SUM = lvl_off(L);

  // ---- input register (codes, types, scales)
  logic v1, c1;
  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] sel_a1, sel_b1;
  logic [N*8-1:0] a1, b1;
  logic [SW-1:0] xa1, xb1;
  mxlab_pipe_reg #(.W(1 + 2 * mxlab_formats_pkg::ELEM_SEL_W + 16 * N + 2 * SW)) u_in (
      .clk, .rst_n, .v_in(in_valid && in_ready), .d({in_clear, in_sel_a, in_sel_b, in_a, in_b, in_xa, in_xb}),
      .v_out(v1), .q({c1, sel_a1, sel_b1, a1, b1, xa1, xb1}));

  // ---- lane products (exact, signed, in units of 2^(lsb_a + lsb_b)) and special-value lanes
  // scales: (-1)^neg sig 2^(sh + scale_lsb), zero points (mxlab_scale_decode)
  logic sa_nan, sb_nan, sa_neg, sb_neg;
  logic [SCW-1:0] sa_sig, sb_sig;
  logic [7:0] sa_sh, sb_sh;
  logic [ZPW-1:0] zp_a, zp_b;
  mxlab_scale_decode #(.SCALE(SCALE)) u_sa (.x(xa1), .nan(sa_nan), .neg(sa_neg), .sig(sa_sig), .sh(sa_sh), .zp(zp_a));
  mxlab_scale_decode #(.SCALE(SCALE)) u_sb (.x(xb1), .nan(sb_nan), .neg(sb_neg), .sig(sb_sig), .sh(sb_sh), .zp(zp_b));
  logic [N-1:0] l_nan, l_zinf, l_pinf, l_ninf;
  logic [N*(PW+1)-1:0] l_prod;
  mxlab_block_dot_lanes #(.N(N), .ELEM_A(ELEM_A), .ELEM_B(ELEM_B), .ZW(ZW), .PW(PW)) u_lanes (
      .sel_a(sel_a1), .sel_b(sel_b1), .a(a1), .b(b1), .zp_a, .zp_b, .prod(l_prod), .nan(l_nan), .zinf(l_zinf),
      .pinf(l_pinf), .ninf(l_ninf));
  // (narrowing is done by part-selects: Yosys 0.23 keeps the operand width of a narrowing N'(x) inside a
  // concatenation or a conditional)
  logic [SSIG_W-1:0] ssig;  // the product of the scale significands (E8M0: 1)
  logic [SBW-1:0] sb0;
  assign ssig = SSIG_W'(sa_sig) * SSIG_W'(sb_sig);
  assign sb0 = {c1, (|l_nan) || sa_nan || sb_nan, |l_zinf, |l_pinf, |l_ninf, (sa_sig == '0) || (sb_sig == '0),
                sa_neg ^ sb_neg, ssig, XW'({1'b0, sa_sh}) + XW'({1'b0, sb_sh}) + XW'(LSB_SUM)};

  // ---- adder tree: level 0 the products, level l the pairwise sums of level l - 1, a register where CUTS says
  logic [TB-1:0] t_d /*verilator split_var*/, t_q /*verilator split_var*/;
  logic [(L+1)*SBW-1:0] s_q /*verilator split_var*/;
  logic [L:0] tv_q /*verilator split_var*/;
  assign t_d[N*(PW+1)-1:0] = l_prod;
  genvar l, k;
  generate
    for (l = 1; l <= L; l = l + 1) begin : g_lvl
      for (k = 0; k < lvl_n(l); k = k + 1) begin : g_sum
        localparam integer WI = PW + l, WO = PW + 1 + l, OI = lvl_off(l - 1), OO = lvl_off(l) + k * WO;
        logic signed [WI-1:0] x0, x1;
        assign x0 = t_q[OI+2*k*WI+:WI];
        if (2 * k + 1 < lvl_n(l - 1)) begin : g_pair
          assign x1 = t_q[OI+(2*k+1)*WI+:WI];
        end else begin : g_odd
          assign x1 = '0;
        end
        assign t_d[OO+:WO] = WO'(x0) + WO'(x1);
      end
    end
    for (l = 0; l <= L; l = l + 1) begin : g_cut
      localparam integer O = lvl_off(l), WL = lvl_n(l) * (PW + 1 + l);
      logic v_i;
      logic [SBW-1:0] s_i;
      if (l == 0) begin : g_first
        assign v_i = v1;
        assign s_i = sb0;
      end else begin : g_next
        assign v_i = tv_q[l-1];
        assign s_i = s_q[(l-1)*SBW+:SBW];
      end
      mxlab_pipe_reg #(.W(WL + SBW), .EN((CUTS >> l) & 1)) u_r (
          .clk, .rst_n, .v_in(v_i), .d({t_d[O+:WL], s_i}), .v_out(tv_q[l]), .q({t_q[O+:WL], s_q[l*SBW+:SBW]}));
    end
  endgenerate

  // ---- sign-magnitude block sum times the scale significands, the sign times the scales' signs; NaN: a NaN input
  // (nan_in), else 0 x Inf, +Inf + -Inf, Inf x zero scale (invalid)
  logic signed [SUM_W-1:0] sum;
  logic c2, nan_in2, zinf2, pinf2, ninf2, szero2, sneg2;
  logic [SSIG_W-1:0] ssig2;
  logic signed [XW-1:0] exp2;
  assign sum = t_q[OFF_SUM+:SUM_W];
  assign {c2, nan_in2, zinf2, pinf2, ninf2, szero2, sneg2, ssig2, exp2} = s_q[L*SBW+:SBW];
  logic [SUM_W-1:0] sum_abs;
  assign sum_abs = sum[SUM_W-1] ? -sum : sum;
  logic v3, c3, nan3, inv3, inf3, neg3;
  logic [MAG_W-1:0] mag3;
  logic signed [XW-1:0] exp3;
  mxlab_pipe_reg #(.W(5 + MAG_W + XW), .EN((CUTS >> (L + 1)) & 1)) u_scaled (
      .clk, .rst_n, .v_in(tv_q[L]),
      .d({c2, nan_in2 || zinf2 || (pinf2 && ninf2) || ((pinf2 || ninf2) && szero2), !nan_in2, pinf2 || ninf2,
          ((pinf2 || ninf2) ? ninf2 : sum[SUM_W-1]) ^ sneg2, MAG_W'(sum_abs) * MAG_W'(ssig2), exp2}),
      .v_out(v3), .q({c3, nan3, inv3, inf3, neg3, mag3, exp3}));

  // ---- normalize the block value: msb at bit MAG_W-1, b_e its biased exponent (clamped; B_EMIN for zero)
  logic [LZW-1:0] lz3;
  logic signed [XW-1:0] e3;
  /* verilator lint_off UNUSEDSIGNAL */
  logic signed [XW-1:0] e3c;  // clamped into XL bits
  /* verilator lint_on UNUSEDSIGNAL */
  mxlab_lzc #(.W(MAG_W)) u_lzc (.x(mag3), .lz(lz3));
  assign e3 = exp3 + XW'(MAG_W - 1 + BIAS) - XW'(lz3);
  assign e3c = (mag3 == '0 || e3 < XW'(B_EMIN)) ? XW'(B_EMIN) : (e3 > XW'(B_EMAX)) ? XW'(B_EMAX) : e3;
  logic v4, nan4, inv4, inf4, neg4;
  logic signed [XL-1:0] e4;
  logic [MAG_W-1:0] sig4;
  mxlab_pipe_reg #(.W(4 + XL + MAG_W), .EN((CUTS >> (L + 2)) & 1)) u_norm (
      .clk, .rst_n, .v_in(v3),
      .d({nan3, inv3, inf3, neg3, e3c[XL-1:0], mag3 << lz3}),
      .v_out(v4), .q({nan4, inv4, inf4, neg4, e4, sig4}));

  // ---- tensor scale (TSCALE): alpha moves beside its block through the input register and every cut (the data
  // registers move every cycle), then waits with the accumulator
  localparam integer ACC_W = ACC_E + ACC_M + 1;
  logic [ACC_W-1:0] alpha4;
  generate
    if (TSCALE != 0) begin : g_alpha
      logic [(L+5)*ACC_W-1:0] al;  // al[0]: in_alpha, al[1]: input register, al[k + 2]: after stage boundary k
      /* verilator lint_off UNUSEDSIGNAL */
      logic [L+3:0] av;  // the valid bits: the block's own valid bits pace alpha
      /* verilator lint_on UNUSEDSIGNAL */
      assign al[0+:ACC_W] = in_alpha;
      for (k = 0; k <= L + 3; k = k + 1) begin : g_a
        mxlab_pipe_reg #(.W(ACC_W), .EN((k == 0) ? 1 : ((CUTS >> (k - 1)) & 1))) u_r (
            .clk, .rst_n, .v_in(1'b0), .d(al[k*ACC_W+:ACC_W]), .v_out(av[k]), .q(al[(k+1)*ACC_W+:ACC_W]));
      end
      assign alpha4 = al[(L+5)*ACC_W-1-:ACC_W];
    end else begin : g_no_alpha
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_alpha;
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused_alpha = ^in_alpha;
      assign alpha4 = '0;
    end
  endgenerate

  // ---- accumulator loop: the register holds the unpacked accumulator (mxlab_fp_acc_add). The adder's a operand
  // is a copy of it (op_*) that is set to +0 a cycle early when the block entering the loop starts a new
  // accumulation (c3: the clear of the block in front of the u_norm register), so no clear mux sits in the loop.
  localparam logic signed [XL-1:0] E_ONE = 1;  // the exponent of zero and of the subnormals
  logic vl, acc_nan, acc_inf, acc_neg, r_nan, r_inf, r_neg, op_nan, op_inf, op_neg;
  logic signed [XL-1:0] acc_e, r_e, op_e;
  logic [ACC_M:0] acc_sig, r_sig, op_sig;
  logic [4:0] flags_l, r_flags;
  mxlab_fp_acc_add #(.E(ACC_E), .M(ACC_M), .BW(MAG_W), .XW(XL)) u_acc (
      .a_nan(op_nan), .a_inf(op_inf), .a_neg(op_neg), .a_e(op_e), .a_sig(op_sig), .b_nan(nan4), .b_invalid(inv4),
      .b_inf(inf4), .b_neg(neg4), .b_e(e4), .b_sig(sig4), .r_nan, .r_inf, .r_neg, .r_e, .r_sig, .flags(r_flags));
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      vl <= 1'b0;
      {acc_nan, acc_inf, acc_neg, acc_e, acc_sig, flags_l} <= {3'b000, E_ONE, {(ACC_M + 1) {1'b0}}, 5'b00000};
      {op_nan, op_inf, op_neg, op_e, op_sig} <= {3'b000, E_ONE, {(ACC_M + 1) {1'b0}}};
    end else begin
      vl <= v4;
      if (v4) {acc_nan, acc_inf, acc_neg, acc_e, acc_sig, flags_l} <= {r_nan, r_inf, r_neg, r_e, r_sig, r_flags};
      if (v3 && c3) begin
        op_nan <= 1'b0;
        op_inf <= 1'b0;
        op_neg <= 1'b0;
        op_e <= E_ONE;
        op_sig <= '0;
      end else if (v4) begin
        {op_nan, op_inf, op_neg, op_e, op_sig} <= {r_nan, r_inf, r_neg, r_e, r_sig};
      end
    end
  end

  // ---- pack (canonical NaN, +-Inf, an overflow: a finite exponent >= all ones, normal / subnormal)
  localparam logic [ACC_E-1:0] EONES = {ACC_E{1'b1}};
  logic ovf_l;
  logic [ACC_W-1:0] packed_l;
  logic [4:0] flags_o;
  always_comb begin
    ovf_l = !acc_nan && !acc_inf && acc_e >= XL'((1 << ACC_E) - 1);
    if (acc_nan) packed_l = {1'b0, EONES, 1'b1, {(ACC_M - 1) {1'b0}}};
    else if (acc_inf || ovf_l) packed_l = {acc_neg, EONES, {ACC_M{1'b0}}};
    else packed_l = {acc_neg, acc_sig[ACC_M] ? acc_e[ACC_E-1:0] : {ACC_E{1'b0}}, acc_sig[ACC_M-1:0]};
    flags_o = ovf_l ? 5'b00101 : flags_l;
  end

  // ---- epilogue (TSCALE): RNE(acc * alpha) in two stages (the significand product, a register, the rounding),
  // the accumulation's flags beside it, or-ed with the multiply's; into the FIFO
  logic push;
  logic [ACC_W+4:0] push_data;
  generate
    if (TSCALE != 0) begin : g_epilogue
      logic [ACC_W-1:0] alpha_l, prod;
      logic [4:0] fl_q, fl_m;
      /* verilator lint_off UNUSEDSIGNAL */
      logic fv;  // the multiply's valid paces the flags too
      /* verilator lint_on UNUSEDSIGNAL */
      always_ff @(posedge clk) if (v4) alpha_l <= alpha4;
      mxlab_fp_mul #(.E(ACC_E), .M(ACC_M)) u_mul (
          .clk, .rst_n, .v_in(vl), .a(packed_l), .b(alpha_l), .v_out(push), .r(prod), .flags(fl_m));
      mxlab_pipe_reg #(.W(5)) u_fl (.clk, .rst_n, .v_in(vl), .d(flags_o), .v_out(fv), .q(fl_q));
      assign push_data = {prod, fl_q | fl_m};
    end else begin : g_direct
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_a4;
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused_a4 = ^alpha4;
      assign push = vl;
      assign push_data = {packed_l, flags_o};
    end
  endgenerate
  mxlab_out_fifo #(.W(ACC_W + 5), .LAT(n_cuts(CUTS) + 2 + ((TSCALE != 0) ? 1 : 0))) u_out (
      .clk, .rst_n, .in_valid, .in_ready, .push, .push_data, .out_valid, .out_ready, .out_data({out_acc, out_flags}));
endmodule
