// Element decoder: a fixed type (ELEM) or, with ELEM = ELEM_ANY, every data type selected at run time by `sel`.
// Output: (-1)^neg * sig * 2^(sh + LSB) exactly, LSB = elem_lsb(ELEM) (for ELEM_ANY the smallest LSB of all types).
module mxlab_elem_decode #(
    parameter integer ELEM = 4,
    localparam integer SIG_W = mxlab_formats_pkg::elem_sig_w(ELEM),
    localparam integer SH_MAX = mxlab_formats_pkg::elem_sh_max(ELEM),
    localparam integer SH_W = (SH_MAX < 2) ? 1 : $clog2(SH_MAX + 1)
) (
    input  logic [7:0]       code,
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0]       sel,   // element type id; used only when ELEM == ELEM_ANY
    output logic             nan,
    output logic             inf,
    output logic             neg,
    output logic [SIG_W-1:0] sig,
    output logic [SH_W-1:0]  sh
);
  localparam integer LSB = mxlab_formats_pkg::elem_lsb(ELEM);
  /* verilator lint_off UNUSEDSIGNAL */
  logic [7:0] sig8, sh8;
  /* verilator lint_on UNUSEDSIGNAL */
  generate
    if (ELEM != mxlab_formats_pkg::ELEM_ANY) begin : g_fixed
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_sel;
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused_sel = ^sel;
      mxlab_elem_decode_fixed #(.ELEM(ELEM)) u_dec (.code(code), .nan(nan), .inf(inf), .neg(neg), .sig(sig8), .sh(sh8));
    end else begin : g_any
      localparam integer NT = mxlab_formats_pkg::ELEM_COUNT;
      logic [NT-1:0] t_nan, t_inf, t_neg;
      logic [7:0] t_sig[NT], t_sh[NT];
      genvar t;
      for (t = 0; t < NT; t = t + 1) begin : g_t
        if (mxlab_formats_pkg::elem_is_data(t) != 0) begin : g_data
          logic [7:0] s8;
          mxlab_elem_decode_fixed #(.ELEM(t)) u_dec (
              .code(code), .nan(t_nan[t]), .inf(t_inf[t]), .neg(t_neg[t]), .sig(t_sig[t]), .sh(s8));
          // re-base the shift onto the common LSB
          assign t_sh[t] = s8 + 8'(mxlab_formats_pkg::elem_lsb(t) - LSB);
        end else begin : g_scale
          assign t_nan[t] = 1'b0;
          assign t_inf[t] = 1'b0;
          assign t_neg[t] = 1'b0;
          assign t_sig[t] = 8'd0;
          assign t_sh[t] = 8'd0;
        end
      end
      always_comb begin
        nan = 1'b0;
        inf = 1'b0;
        neg = 1'b0;
        sig8 = 8'd0;
        sh8 = 8'd0;
        if (32'(sel) < NT) begin
          nan = t_nan[sel];
          inf = t_inf[sel];
          neg = t_neg[sel];
          sig8 = t_sig[sel];
          sh8 = t_sh[sel];
        end
      end
    end
  endgenerate
  assign sig = sig8[SIG_W-1:0];
  assign sh = sh8[SH_W-1:0];
endmodule
