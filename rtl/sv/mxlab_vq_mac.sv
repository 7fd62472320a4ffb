// VQ dequant MAC: N indices select D-dimensional INT8 codewords from a codebook register file (written at run
// time), the codewords multiply N*D INT8 activations, and the exact sum accumulates into a wrapping ACC_W-bit
// integer. The codebook's FP32 scale s (formats/vq_codebook.hpp: s = max|c|/127) and the activation scale are
// applied to the integer result outside the unit: y = s * s_x * acc. One vector per cycle; the pipeline never stalls:
// results enter the output FIFO (mxlab_out_fifo: in_ready is a credit check on a register).
// DEPTH (1..4) = registers between the input ports and the accumulator (latency to the accumulator, LAT of the FIFO):
//   1: after the codebook lookup | products + adder tree + accumulate
//   2: + after the products
//   3: + after the adder tree (the accumulator loop is one ACC_W-bit add)
//   4: + in the middle of the adder tree (mxlab_int_sum_tree MID)
// A codebook write takes effect for vectors accepted in later cycles (the lookup is in the first stage).
module mxlab_vq_mac #(
    parameter integer N = 8,         // indices per vector
    parameter integer D = 2,         // codeword dimension
    parameter integer IDX_BITS = 4,  // K = 2^IDX_BITS codewords
    parameter integer ACC_W = 32,
    parameter integer DEPTH = 1
) (
    input  logic                    clk,
    input  logic                    rst_n,
    input  logic                    cb_we,     // codebook write port
    input  logic [IDX_BITS-1:0]     cb_addr,
    input  logic [D*8-1:0]          cb_data,   // codeword: dimension d in bits [8d, 8d+8), INT8
    input  logic                    in_valid,
    output logic                    in_ready,
    input  logic                    in_clear,
    input  logic [N*IDX_BITS-1:0]   in_idx,    // index i in bits [i*IDX_BITS, (i+1)*IDX_BITS) (LSB-first packing)
    input  logic [N*D*8-1:0]        in_x,      // activation (i, d) in byte i*D + d, INT8
    output logic                    out_valid,
    input  logic                    out_ready,
    output logic signed [ACC_W-1:0] out_acc
);
  localparam integer K = 1 << IDX_BITS;
  localparam integer ND = N * D;
  localparam integer PW = 16;
  localparam integer SUM_W = PW + $clog2(ND) + 1;
  localparam integer DP = (DEPTH < 1) ? 1 : (DEPTH > 4) ? 4 : DEPTH;

  logic [D*8-1:0] cb[K];
  always_ff @(posedge clk) if (cb_we) cb[cb_addr] <= cb_data;

  // stage 1: look up the codewords (dequantize: the INT8 entry is the value in units of s)
  logic [ND*8-1:0] w1, x1;
  logic v1, c1;
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) v1 <= 1'b0;
    else v1 <= in_valid && in_ready;
  end
  always_ff @(posedge clk) begin
    c1 <= in_clear;
    x1 <= in_x;
    for (integer i = 0; i < N; i = i + 1) w1[i*D*8+:D*8] <= cb[in_idx[i*IDX_BITS+:IDX_BITS]];
  end
  // exact INT8 x INT8 products (DEPTH >= 2: registered)
  logic [ND*PW-1:0] prod, p2;
  genvar k;
  for (k = 0; k < ND; k = k + 1) begin : g_lane
    assign prod[k*PW+:PW] = PW'($signed(w1[k*8+:8]) * $signed(x1[k*8+:8]));
  end
  logic v2, c2;
  mxlab_pipe_reg #(.W(1 + ND * PW), .EN(DP >= 2 ? 1 : 0)) u_prod (
      .clk, .rst_n, .v_in(v1), .d({c1, prod}), .v_out(v2), .q({c2, p2}));
  // exact sum (DEPTH 4: register mid tree; DEPTH >= 3: register the sum)
  logic v3, c3;
  logic signed [SUM_W-1:0] sum;
  mxlab_int_sum_tree #(.N(ND), .W(PW), .SW(SUM_W), .MID(DP >= 4 ? 1 : 0), .OUT(DP >= 3 ? 1 : 0)) u_tree (
      .clk, .rst_n, .v_in(v2), .sb_in(c2), .d(p2), .v_out(v3), .sb_out(c3), .sum);
  // wrapping accumulation
  logic signed [ACC_W-1:0] acc, acc_next;
  assign acc_next = (c3 ? '0 : acc) + ACC_W'(sum);
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) acc <= '0;
    else if (v3) acc <= acc_next;
  end
  mxlab_out_fifo #(.W(ACC_W), .LAT(DP)) u_out (
      .clk, .rst_n, .in_valid, .in_ready, .push(v3), .push_data(acc_next), .out_valid, .out_ready, .out_data(out_acc));
endmodule
