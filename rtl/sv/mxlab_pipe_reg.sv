// One optional pipeline stage: with EN != 0 a register (valid with reset, data without) that moves every cycle (the
// units never stall: mxlab_out_fifo), with EN == 0 a wire. The block dot unit places its stages with it (DEPTH).
module mxlab_pipe_reg #(
    parameter integer W = 1,
    parameter integer EN = 1
) (
    input  logic         clk,
    input  logic         rst_n,
    input  logic         v_in,
    input  logic [W-1:0] d,
    output logic         v_out,
    output logic [W-1:0] q
);
  generate
    if (EN != 0) begin : g_reg
      always_ff @(posedge clk or negedge rst_n) begin
        if (!rst_n) v_out <= 1'b0;
        else v_out <= v_in;
      end
      always_ff @(posedge clk) q <= d;
    end else begin : g_wire
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused;
      /* verilator lint_on UNUSEDSIGNAL */
      assign unused = ^{clk, rst_n};
      assign v_out = v_in;
      assign q = d;
    end
  endgenerate
endmodule
