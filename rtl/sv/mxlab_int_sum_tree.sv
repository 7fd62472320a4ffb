// Exact sum of N signed W-bit terms as a balanced adder tree (heap order: node k = node 2k + node 2k+1, the leaves
// NP..2NP-1 are the terms, zero-padded to NP = 2^ceil(log2 N)), all nodes SW bits wide (SW >= W + ceil(log2 N)).
// Two optional registers (mxlab_pipe_reg, moving every cycle): MID after tree level L/2 (the NM = NP >> L/2 partial
// sums), OUT after the root. A side-band word (e.g. clear) travels with the terms. Used by mxlab_int_mac, mxlab_vq_mac.
module mxlab_int_sum_tree #(
    parameter integer N = 8,
    parameter integer W = 16,
    parameter integer SW = 20,
    parameter integer SB = 1,    // side-band bits
    parameter integer MID = 0,   // register the partial sums in the middle of the tree
    parameter integer OUT = 0    // register the sum
) (
    input  logic                 clk,
    input  logic                 rst_n,
    input  logic                 v_in,
    input  logic [SB-1:0]        sb_in,
    input  logic [N*W-1:0]       d,      // term i in bits [i*W, (i+1)*W), two's complement
    output logic                 v_out,
    output logic [SB-1:0]        sb_out,
    output logic signed [SW-1:0] sum
);
  localparam integer L = (N > 1) ? $clog2(N) : 0;  // tree levels
  localparam integer NP = 1 << L;
  localparam integer LM = L / 2;                    // the MID cut: after level LM (0: on the terms themselves)
  localparam integer NM = NP >> LM;                 // nodes at the cut: NM..2NM-1

  // lower half: levels 1..LM (nodes NM..NP-1 from the leaves)
  /* verilator lint_off UNUSEDSIGNAL */
  logic [2*NP*SW-1:0] lo;  // nodes 0..NM-1 are not used here
  logic [2*NM*SW-1:0] hi;  // node 0 is not used
  /* verilator lint_on UNUSEDSIGNAL */
  always_comb begin
    lo = '0;
    for (integer i = 0; i < N; i = i + 1) lo[(NP+i)*SW+:SW] = SW'($signed(d[i*W+:W]));
    for (integer j = 0; j < NP - NM; j = j + 1)
      lo[(NP-1-j)*SW+:SW] = lo[(2*(NP-1-j))*SW+:SW] + lo[(2*(NP-1-j)+1)*SW+:SW];
  end
  logic v_m;
  logic [SB-1:0] sb_m;
  logic [NM*SW-1:0] part;
  mxlab_pipe_reg #(.W(SB + NM * SW), .EN(MID)) u_mid (
      .clk, .rst_n, .v_in, .d({sb_in, lo[NM*SW+:NM*SW]}), .v_out(v_m), .q({sb_m, part}));
  // upper half: levels LM+1..L (nodes 1..NM-1)
  always_comb begin
    hi = '0;
    hi[NM*SW+:NM*SW] = part;
    for (integer j = 0; j < NM - 1; j = j + 1)
      hi[(NM-1-j)*SW+:SW] = hi[(2*(NM-1-j))*SW+:SW] + hi[(2*(NM-1-j)+1)*SW+:SW];
  end
  mxlab_pipe_reg #(.W(SB + SW), .EN(OUT)) u_out (
      .clk, .rst_n, .v_in(v_m), .d({sb_m, hi[SW+:SW]}), .v_out, .q({sb_out, sum}));
endmodule
