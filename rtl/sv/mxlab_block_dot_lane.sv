// One lane of the wide path: mxlab_elem_decode on both codes, product sig_a sig_b 2^(sh_a + sh_b) and the special
// lanes. Kept as a module in synthesis (keep_hierarchy): Yosys maps it once, not once per lane.
(* keep_hierarchy *)
module mxlab_block_dot_lane #(
    parameter integer ELEM_A = 255,
    parameter integer ELEM_B = 255,
    parameter integer PW = 8
) (
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] sel_a,
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0] sel_b,
    input  logic [7:0]  a,
    input  logic [7:0]  b,
    output logic [PW:0] prod,
    output logic        nan,
    output logic        zinf,
    output logic        pinf,
    output logic        ninf
);
  localparam integer SIGW_A = mxlab_formats_pkg::elem_sig_w(ELEM_A);
  localparam integer SIGW_B = mxlab_formats_pkg::elem_sig_w(ELEM_B);
  localparam integer SHW_A = (mxlab_formats_pkg::elem_sh_max(ELEM_A) < 2) ? 1 : $clog2(mxlab_formats_pkg::elem_sh_max(ELEM_A) + 1);
  localparam integer SHW_B = (mxlab_formats_pkg::elem_sh_max(ELEM_B) < 2) ? 1 : $clog2(mxlab_formats_pkg::elem_sh_max(ELEM_B) + 1);
  logic an, ai, ag, bn, bi, bg;
  logic [SIGW_A-1:0] as;
  logic [SIGW_B-1:0] bs;
  logic [SHW_A-1:0] ah;
  logic [SHW_B-1:0] bh;
  logic [PW-1:0] mag;
  mxlab_elem_decode #(.ELEM(ELEM_A)) u_a (.code(a), .sel(sel_a), .nan(an), .inf(ai), .neg(ag), .sig(as), .sh(ah));
  mxlab_elem_decode #(.ELEM(ELEM_B)) u_b (.code(b), .sel(sel_b), .nan(bn), .inf(bi), .neg(bg), .sig(bs), .sh(bh));
  always_comb begin
    mag = (PW'(as) * PW'(bs)) << (PW'(ah) + PW'(bh));
    prod = (ag != bg) ? -((PW + 1)'(mag)) : (PW + 1)'(mag);
    nan = an || bn;
    zinf = (ai && bs == '0) || (bi && as == '0);
    pinf = (ai || bi) && !zinf && (ag == bg);
    ninf = (ai || bi) && !zinf && (ag != bg);
  end
endmodule
