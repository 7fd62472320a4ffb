// Gate-level replay of an int_mac golden-vector file (rtl/models/int_reference.hpp: `clear A B acc` in hex, expected
// values from the independent integer reference) on a synthesized mxlab_int_mac netlist, wrapped by gate_replay.cmake
// as mxlab_gl_wrap (bus ports). Streams one vector per cycle while in_ready holds, out_ready always 1, and compares
// every output in order. Run: vvp sim +golden=<file>.
`timescale 1ns / 1ps
module mxlab_gate_replay_tb;
  parameter integer N = 8;      // lanes
  parameter integer ACCW = 32;  // accumulator bits
  reg clk = 1'b0, rst_n = 1'b0, in_valid = 1'b0, in_clear = 1'b0;
  reg [N*8-1:0] in_a = 0, in_b = 0;
  wire in_ready, out_valid;
  wire [ACCW-1:0] out_acc;
  mxlab_gl_wrap dut (
      .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(in_ready), .in_clear(in_clear), .in_a(in_a),
      .in_b(in_b), .out_valid(out_valid), .out_ready(1'b1), .out_acc(out_acc));
  always #5 clk = ~clk;

  reg [8*4096-1:0] line;
  reg [1023:0] golden;
  reg [7:0] clr;
  reg [N*8-1:0] a, b;
  reg [ACCW-1:0] acc, q_acc[0:63];
  integer fd, head = 0, tail = 0, checked = 0, mismatches = 0, idle = 0;
  reg more = 1'b1;

  // the next vector line of the file (comment lines skipped); more = 0 at the end
  task next_line;
    integer got;
    begin
      got = 0;
      while (got != 4 && more) begin
        if ($feof(fd) || $fgets(line, fd) == 0) more = 1'b0;
        else got = $sscanf(line, "%h %h %h %h", clr, a, b, acc);
      end
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
        if (out_acc !== q_acc[head]) begin
          mismatches = mismatches + 1;
          if (mismatches <= 5) $display("MISMATCH #%0d: gate acc %h, expected %h", checked - 1, out_acc, q_acc[head]);
        end
        head = (head + 1) % 64;
      end
      in_valid = more && in_ready;
      if (in_valid) begin
        {in_clear, in_a, in_b} = {clr[0], a, b};
        q_acc[tail] = acc;
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
