// INT-N MAC: acc <- acc + sum_i a_i b_i over N lanes of two's complement INT-N elements (exact products and sum),
// acc a two's complement ACC_W-bit register that wraps modulo 2^ACC_W. Two stages (products | sum + accumulate), then
// the output FIFO (mxlab_out_fifo: in_ready is a credit check, the pipeline never stalls), one vector per cycle.
module mxlab_int_mac #(
    parameter integer N = 8,
    parameter integer ELEM_A = 10,  // INT element ids from mxlab_formats_pkg (ELEM_INT2 .. ELEM_INT8)
    parameter integer ELEM_B = 10,
    parameter integer ACC_W = 32
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

  // stage 1: sign-extended exact products
  logic [N*PW-1:0] prod, p1;
  genvar i;
  for (i = 0; i < N; i = i + 1) begin : g_lane
    /* verilator lint_off UNUSEDSIGNAL */
    logic [7:0] a8, b8;  // only the low BA / BB bits carry the code
    /* verilator lint_on UNUSEDSIGNAL */
    assign a8 = in_a[i*8+:8];
    assign b8 = in_b[i*8+:8];
    assign prod[i*PW+:PW] = PW'($signed(a8[BA-1:0]) * $signed(b8[BB-1:0]));
  end
  logic v1, c1;
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) v1 <= 1'b0;
    else v1 <= in_valid && in_ready;
  end
  always_ff @(posedge clk) begin
    c1 <= in_clear;
    p1 <= prod;
  end
  // stage 2: exact sum, accumulate (wrapping)
  logic signed [SUM_W-1:0] sum;
  always_comb begin
    sum = '0;
    for (integer k = 0; k < N; k = k + 1) sum = sum + SUM_W'($signed(p1[k*PW+:PW]));
  end
  logic signed [ACC_W-1:0] acc, acc_next;
  assign acc_next = (c1 ? '0 : acc) + ACC_W'(sum);
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) acc <= '0;
    else if (v1) acc <= acc_next;
  end
  mxlab_out_fifo #(.W(ACC_W), .LAT(1)) u_out (
      .clk, .rst_n, .in_valid, .in_ready, .push(v1), .push_data(acc_next), .out_valid, .out_ready, .out_data(out_acc));
endmodule
