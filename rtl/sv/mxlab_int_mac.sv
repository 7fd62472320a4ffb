// INT-N MAC: acc <- acc + sum_i a_i b_i over N lanes of two's complement INT-N elements (exact products and sum),
// acc a two's complement ACC_W-bit register that wraps modulo 2^ACC_W. One vector per cycle; the pipeline never
// stalls: results enter the output FIFO (mxlab_out_fifo), whose in_ready is a credit check on a register.
// DEPTH (1..4) = registers between the input ports and the accumulator (latency to the accumulator, LAT of the FIFO):
//   1: after the lane products | adder tree + accumulate                      (the accumulator loop adds the tree)
//   2: + after the adder tree (the accumulator loop is one ACC_W-bit add)
//   3: + in the middle of the adder tree (mxlab_int_sum_tree MID)
//   4: + on the inputs, before the multipliers
module mxlab_int_mac #(
    parameter integer N = 8,
    parameter integer ELEM_A = 10,  // INT element ids from mxlab_formats_pkg (ELEM_INT2 .. ELEM_INT8)
    parameter integer ELEM_B = 10,
    parameter integer ACC_W = 32,
    parameter integer DEPTH = 1
) (
    input  logic                    clk,
    input  logic                    rst_n,
    input  logic                    in_valid,
    output logic                    in_ready,
    input  logic                    in_clear,  // start a new accumulation at 0 with this vector
    input  logic [N*8-1:0]          in_a,      // lane i in bits [8i, 8i+8); the low elem_bits are the code
    input  logic [N*8-1:0]          in_b,
    output logic                    out_valid,
    input  logic                    out_ready,
    output logic signed [ACC_W-1:0] out_acc
);
  localparam integer BA = mxlab_formats_pkg::elem_bits(ELEM_A);
  localparam integer BB = mxlab_formats_pkg::elem_bits(ELEM_B);
  localparam integer PW = BA + BB;
  localparam integer SUM_W = PW + $clog2(N) + 1;
  localparam integer D = (DEPTH < 1) ? 1 : (DEPTH > 4) ? 4 : DEPTH;

  // DEPTH 4: input register
  logic v0, c0;
  logic [N*8-1:0] a0, b0;
  mxlab_pipe_reg #(.W(1 + 2 * N * 8), .EN(D >= 4 ? 1 : 0)) u_in (
      .clk, .rst_n, .v_in(in_valid && in_ready), .d({in_clear, in_a, in_b}), .v_out(v0), .q({c0, a0, b0}));
  // sign-extended exact products, registered
  logic [N*PW-1:0] prod, p1;
  genvar i;
  for (i = 0; i < N; i = i + 1) begin : g_lane
    /* verilator lint_off UNUSEDSIGNAL */
    logic [7:0] a8, b8;  // only the low BA / BB bits carry the code
    /* verilator lint_on UNUSEDSIGNAL */
    assign a8 = a0[i*8+:8];
    assign b8 = b0[i*8+:8];
    assign prod[i*PW+:PW] = PW'($signed(a8[BA-1:0]) * $signed(b8[BB-1:0]));
  end
  logic v1, c1;
  mxlab_pipe_reg #(.W(1 + N * PW)) u_prod (.clk, .rst_n, .v_in(v0), .d({c0, prod}), .v_out(v1), .q({c1, p1}));
  // exact sum (DEPTH 3: register mid tree; DEPTH >= 2: register the sum)
  logic v2, c2;
  logic signed [SUM_W-1:0] sum;
  mxlab_int_sum_tree #(.N(N), .W(PW), .SW(SUM_W), .MID(D >= 3 ? 1 : 0), .OUT(D >= 2 ? 1 : 0)) u_tree (
      .clk, .rst_n, .v_in(v1), .sb_in(c1), .d(p1), .v_out(v2), .sb_out(c2), .sum);
  // accumulate (wrapping)
  logic signed [ACC_W-1:0] acc, acc_next;
  assign acc_next = (c2 ? '0 : acc) + ACC_W'(sum);
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) acc <= '0;
    else if (v2) acc <= acc_next;
  end
  mxlab_out_fifo #(.W(ACC_W), .LAT(D)) u_out (
      .clk, .rst_n, .in_valid, .in_ready, .push(v2), .push_data(acc_next), .out_valid, .out_ready, .out_data(out_acc));
endmodule
