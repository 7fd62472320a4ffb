// Co-simulation top for the element decoders: one fixed decoder per element type plus the runtime-selected one.
module mxlab_decode_all #(
    localparam integer NT = mxlab_formats_pkg::ELEM_COUNT,
    localparam integer ANY = mxlab_formats_pkg::ELEM_ANY,
    localparam integer ASIG_W = mxlab_formats_pkg::elem_sig_w(ANY),
    localparam integer ASH_W = $clog2(mxlab_formats_pkg::elem_sh_max(ANY) + 1)
) (
    input  logic [7:0]        code,
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0]        sel,
    output logic [NT-1:0]     f_nan,
    output logic [NT-1:0]     f_inf,
    output logic [NT-1:0]     f_neg,
    output logic [NT*8-1:0]   f_sig,  // type t in lane t, zero-extended to 8 bits
    output logic [NT*8-1:0]   f_sh,
    output logic              a_nan,
    output logic              a_inf,
    output logic              a_neg,
    output logic [ASIG_W-1:0] a_sig,
    output logic [ASH_W-1:0]  a_sh
);
  genvar t;
  for (t = 0; t < NT; t = t + 1) begin : g_t
    localparam integer SW = mxlab_formats_pkg::elem_sig_w(t);
    localparam integer SM = mxlab_formats_pkg::elem_sh_max(t);
    localparam integer HW = (SM < 2) ? 1 : $clog2(SM + 1);
    logic [SW-1:0] s;
    logic [HW-1:0] h;
    mxlab_elem_decode #(.ELEM(t)) u_dec (
        .code(code), .sel('0), .nan(f_nan[t]), .inf(f_inf[t]), .neg(f_neg[t]), .sig(s), .sh(h));
    assign f_sig[t*8+:8] = 8'(s);
    assign f_sh[t*8+:8] = 8'(h);
  end
  mxlab_elem_decode #(.ELEM(ANY)) u_any (
      .code(code), .sel(sel), .nan(a_nan), .inf(a_inf), .neg(a_neg), .sig(a_sig), .sh(a_sh));
endmodule
