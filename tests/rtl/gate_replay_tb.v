// Gate-level replay of a golden-vector file on a synthesized netlist, wrapped by gate_replay.cmake as mxlab_gl_wrap
// (bus ports). Block dot units (default): mxlab_rtl_golden lines `sel_a sel_b clear xa xb A B acc flags` in hex;
// int_mac units (compiled with -DMXLAB_INT_MAC): `clear A B acc` (rtl/models/int_reference.hpp). Expected values
// come from the independent references. Streams one vector per cycle while in_ready holds, out_ready always 1, and
// compares every output in order. Run: vvp sim +golden=<file>.
`timescale 1ns / 1ps
module mxlab_gate_replay_tb;
  parameter integer N = 16;     // lanes
  parameter integer SELW = 4;   // element-type select width (block dot)
  parameter integer ACCW = 32;  // accumulator bits
  reg clk = 1'b0, rst_n = 1'b0, in_valid = 1'b0, in_clear = 1'b0;
  reg [N*8-1:0] in_a = 0, in_b = 0;
  wire in_ready, out_valid;
  wire [ACCW-1:0] out_acc;
  reg [8*4096-1:0] line;
  reg [1023:0] golden;
  reg [7:0] clr;
  reg [N*8-1:0] a, b;
  reg [ACCW-1:0] acc, q_acc[0:63];
  reg [7:0] flags = 0;
  reg [4:0] q_flags[0:63];
`ifdef MXLAB_INT_MAC
  localparam integer FIELDS = 4;
  wire [4:0] out_flags = 5'd0;
  mxlab_gl_wrap dut (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(in_ready), .in_clear(in_clear), .in_a(in_a),
      .in_b(in_b), .out_valid(out_valid), .out_ready(1'b1), .out_acc(out_acc));
`else
  localparam integer FIELDS = 9;
  reg [SELW-1:0] in_sel_a = 0, in_sel_b = 0;
  reg [7:0] in_xa = 0, in_xb = 0;
  reg [7:0] ea, eb, xa, xb;
  wire [4:0] out_flags;
  mxlab_gl_wrap dut (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(in_ready), .in_clear(in_clear), .in_sel_a(in_sel_a),
      .in_sel_b(in_sel_b), .in_a(in_a), .in_b(in_b), .in_xa(in_xa), .in_xb(in_xb), .out_valid(out_valid),
      .out_ready(1'b1), .out_acc(out_acc), .out_flags(out_flags));
`endif
  always #5 clk = ~clk;
  integer fd, head = 0, tail = 0, checked = 0, mismatches = 0, idle = 0;
  reg more = 1'b1;

  // the next vector line of the file (comment lines skipped); more = 0 at the end
  task next_line;
    integer got;
    begin
      got = 0;
      while (got != FIELDS && more) begin
        if ($feof(fd) || $fgets(line, fd) == 0) more = 1'b0;
`ifdef MXLAB_INT_MAC
        else got = $sscanf(line, "%h %h %h %h", clr, a, b, acc);
`else
        else got = $sscanf(line, "%h %h %h %h %h %h %h %h %h", ea, eb, clr, xa, xb, a, b, acc, flags);
`endif
      end
    end
  endtask

  // drives the vector just read
  task drive;
    begin
`ifdef MXLAB_INT_MAC
      {in_clear, in_a, in_b} = {clr[0], a, b};
`else
      {in_sel_a, in_sel_b, in_clear, in_xa, in_xb, in_a, in_b} = {ea[SELW-1:0], eb[SELW-1:0], clr[0], xa, xb, a, b};
`endif
    end
  endtask

  initial begin
    if (!$value$plusargs("golden=%s", golden)) $fatal(1, "usage: vvp sim +golden=<golden vector file>");
    fd = $fopen(golden, "r");
    if (fd == 0) $fatal(1, "cannot open %0s", golden);
    repeat (2) @(negedge clk);
    rst_n = 1'b1;
    next_line;
    while (more || head != tail) begin
      @(negedge clk);  // outputs and in_ready are stable here; inputs set now are taken at the next posedge
      if (out_valid) begin
        if (head == tail) $fatal(1, "output without an input");
        checked = checked + 1;
        if (out_acc !== q_acc[head] || out_flags !== q_flags[head]) begin
          mismatches = mismatches + 1;
          if (mismatches <= 5)
            $display("MISMATCH #%0d: gate acc %h flags %h, expected acc %h flags %h", checked - 1, out_acc, out_flags,
                     q_acc[head], q_flags[head]);
        end
        head = (head + 1) % 64;
      end
      in_valid = more && in_ready;
      if (in_valid) begin
        drive;
        q_acc[tail] = acc;
        q_flags[tail] = flags[4:0];
        tail = (tail + 1) % 64;
        next_line;
      end
      idle = out_valid || in_valid ? 0 : idle + 1;
      if (idle > 100) $fatal(1, "no progress for 100 cycles");
    end
    $display("[gate replay] %0d golden vectors checked, %0d mismatches", checked, mismatches);
    $finish;
  end
endmodule
