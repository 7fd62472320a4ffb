// Techmap rules of the ABC equivalence proof (rtl/synth/equiv_seq.ys.in), applied to both designs alike.
// 1. Async-reset flip-flops become sync-reset ones with the same reset value (gold: $adff after dffunmap -ce-only;
//    gate: the liberty models' $_DFF_P?? cells, as 1-bit $sdff): clocked behaviour, reset sampled at the edge.
// 2. In the miter, an $equiv (a pair of same-named gold/gate signals) becomes a buffer of the gold signal, which
//    every reader of either side then sees (equiv_make rerouted them to the $equiv output).
(* techmap_celltype = "$adff" *)
module _mxlab_adff #(parameter WIDTH = 1, parameter CLK_POLARITY = 1'b1, parameter ARST_POLARITY = 1'b1,
                     parameter ARST_VALUE = 0) (input CLK, input ARST, input [WIDTH-1:0] D, output [WIDTH-1:0] Q);
  \$sdff #(.WIDTH(WIDTH), .CLK_POLARITY(CLK_POLARITY), .SRST_POLARITY(ARST_POLARITY), .SRST_VALUE(ARST_VALUE))
      _TECHMAP_REPLACE_ (.CLK(CLK), .SRST(ARST), .D(D), .Q(Q));
endmodule
(* techmap_celltype = "$_DFF_PN0_ $_DFF_PN1_ $_DFF_PP0_ $_DFF_PP1_" *)
module _mxlab_dff_async (input C, input R, input D, output Q);
  parameter _TECHMAP_CELLTYPE_ = "";
  // "$_DFF_P<reset level N|P><reset value 0|1>_": the reset level and value are characters 8 and 9 of 10
  \$sdff #(.WIDTH(1), .CLK_POLARITY(1'b1), .SRST_POLARITY(_TECHMAP_CELLTYPE_[23:16] == "P"),
           .SRST_VALUE(_TECHMAP_CELLTYPE_[15:8] == "1")) _TECHMAP_REPLACE_ (.CLK(C), .SRST(R), .D(D), .Q(Q));
endmodule
(* techmap_celltype = "$equiv" *)
module _mxlab_equiv_buf (input A, input B, output Y);
  assign Y = A;
endmodule
