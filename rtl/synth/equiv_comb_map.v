// Techmap rules of the combinational view of the ABC equivalence proof (rtl/synth/equiv_pair.ys.in), for the flip-flop
// kinds left after equiv_seq_map.v ($dff, $sdff and their 1-bit forms), applied to both designs alike.
// Default: a cut flip-flop (its readers already read a free input) becomes a wire from its next state, so that its
// pair compares the two next-state functions: D, or the reset value while the synchronous reset is active.
// -D FREE: any other flip-flop becomes a free input (its output any value in the combinational view).
`ifndef FREE
(* techmap_celltype = "$dff" *)
module _mxlab_next_dff #(parameter WIDTH = 1, parameter CLK_POLARITY = 1'b1)
    (input CLK, input [WIDTH-1:0] D, output [WIDTH-1:0] Q);
  assign Q = D;
endmodule
(* techmap_celltype = "$sdff" *)
module _mxlab_next_sdff #(parameter WIDTH = 1, parameter CLK_POLARITY = 1'b1, parameter SRST_POLARITY = 1'b1,
                          parameter SRST_VALUE = 0) (input CLK, input SRST, input [WIDTH-1:0] D, output [WIDTH-1:0] Q);
  assign Q = (SRST == SRST_POLARITY) ? SRST_VALUE : D;
endmodule
(* techmap_celltype = "$_DFF_P_" *)
module _mxlab_next_dff1 (input C, input D, output Q);
  assign Q = D;
endmodule
(* techmap_celltype = "$_SDFF_PN0_ $_SDFF_PN1_ $_SDFF_PP0_ $_SDFF_PP1_" *)
module _mxlab_next_sdff1 (input C, input R, input D, output Q);
  parameter _TECHMAP_CELLTYPE_ = "";
  // "$_SDFF_P<reset level N|P><reset value 0|1>_": the reset level and value are characters 9 and 10 of 11
  wire reset = (_TECHMAP_CELLTYPE_[23:16] == "P") ? R : !R;
  assign Q = reset ? (_TECHMAP_CELLTYPE_[15:8] == "1") : D;
endmodule
`else
(* techmap_celltype = "$dff" *)
module _mxlab_free_dff #(parameter WIDTH = 1, parameter CLK_POLARITY = 1'b1)
    (input CLK, input [WIDTH-1:0] D, output [WIDTH-1:0] Q);
  \$anyseq #(.WIDTH(WIDTH)) _TECHMAP_REPLACE_ (.Y(Q));
endmodule
(* techmap_celltype = "$sdff" *)
module _mxlab_free_sdff #(parameter WIDTH = 1, parameter CLK_POLARITY = 1'b1, parameter SRST_POLARITY = 1'b1,
                          parameter SRST_VALUE = 0) (input CLK, input SRST, input [WIDTH-1:0] D, output [WIDTH-1:0] Q);
  \$anyseq #(.WIDTH(WIDTH)) _TECHMAP_REPLACE_ (.Y(Q));
endmodule
(* techmap_celltype = "$_DFF_P_" *)
module _mxlab_free_dff1 (input C, input D, output Q);
  \$anyseq #(.WIDTH(1)) _TECHMAP_REPLACE_ (.Y(Q));
endmodule
(* techmap_celltype = "$_SDFF_PN0_ $_SDFF_PN1_ $_SDFF_PP0_ $_SDFF_PP1_" *)
module _mxlab_free_sdff1 (input C, input R, input D, output Q);
  \$anyseq #(.WIDTH(1)) _TECHMAP_REPLACE_ (.Y(Q));
endmodule
`endif
