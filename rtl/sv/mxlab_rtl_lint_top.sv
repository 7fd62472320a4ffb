// Lint/synthesis top: every unit in every configuration the project verilates (verilator --lint-only -Wall, Yosys).
module mxlab_rtl_lint_top (
    input  logic         clk,
    input  logic         rst_n,
    input  logic         in_valid,
    input  logic         in_clear,
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0]   sel_a,
    input  logic [mxlab_formats_pkg::ELEM_SEL_W-1:0]   sel_b,
    input  logic [255:0] a,
    input  logic [255:0] b,
    input  logic [7:0]   xa,
    input  logic [7:0]   xb,
    input  logic         out_ready,
    output logic [7:0]   ready,
    output logic [7:0]   valid,
    output logic [191:0] y,  // unit u in bits [32u, 32u+32)
    output logic [19:0]  f
);
  localparam integer ANY = mxlab_formats_pkg::ELEM_ANY;
  localparam integer E2M1 = mxlab_formats_pkg::ELEM_E2M1;
  localparam integer E4M3 = mxlab_formats_pkg::ELEM_E4M3;
  mxlab_block_dot #(.N(32), .ELEM_A(ANY), .ELEM_B(ANY), .SCALE(mxlab_formats_pkg::SCALE_E8M0)) u_mx (
      .clk, .rst_n, .in_valid, .in_ready(ready[0]), .in_clear, .in_sel_a(sel_a), .in_sel_b(sel_b), .in_a(a),
      .in_b(b), .in_xa(xa), .in_xb(xb), .out_valid(valid[0]), .out_ready, .out_acc(y[31:0]), .out_flags(f[4:0]));
  mxlab_block_dot #(.N(32), .ELEM_A(E2M1), .ELEM_B(E2M1), .SCALE(mxlab_formats_pkg::SCALE_E8M0)) u_mxfp4 (
      .clk, .rst_n, .in_valid, .in_ready(ready[1]), .in_clear, .in_sel_a(sel_a), .in_sel_b(sel_b), .in_a(a),
      .in_b(b), .in_xa(xa), .in_xb(xb), .out_valid(valid[1]), .out_ready, .out_acc(y[63:32]), .out_flags(f[9:5]));
  mxlab_block_dot #(.N(16), .ELEM_A(E2M1), .ELEM_B(E2M1), .SCALE(mxlab_formats_pkg::SCALE_UE4M3)) u_nvfp4 (
      .clk, .rst_n, .in_valid, .in_ready(ready[2]), .in_clear, .in_sel_a(sel_a), .in_sel_b(sel_b),
      .in_a(a[127:0]), .in_b(b[127:0]), .in_xa(xa), .in_xb(xb), .out_valid(valid[2]), .out_ready, .out_acc(y[95:64]),
      .out_flags(f[14:10]));
  mxlab_block_dot #(.N(32), .ELEM_A(ANY), .ELEM_B(E4M3), .SCALE(mxlab_formats_pkg::SCALE_E8M0)) u_fp4v (
      .clk, .rst_n, .in_valid, .in_ready(ready[3]), .in_clear, .in_sel_a(sel_a), .in_sel_b(sel_b), .in_a(a),
      .in_b(b), .in_xa(xa), .in_xb(xb), .out_valid(valid[3]), .out_ready, .out_acc(y[127:96]), .out_flags(f[19:15]));
  mxlab_int_mac u_int (
      .clk, .rst_n, .in_valid, .in_ready(ready[4]), .in_clear, .in_a(a[63:0]), .in_b(b[63:0]),
      .out_valid(valid[4]), .out_ready, .out_acc(y[159:128]));
  mxlab_vq_mac u_vq (
      .clk, .rst_n, .cb_we(sel_a[0]), .cb_addr(xa[3:0]), .cb_data({xb, xa} ^ a[15:0]), .in_valid,
      .in_ready(ready[5]), .in_clear, .in_idx(b[31:0]), .in_x(a[127:0]), .out_valid(valid[5]), .out_ready,
      .out_acc(y[191:160]));
  assign ready[7:6] = 2'b00;
  assign valid[7:6] = 2'b00;
endmodule
