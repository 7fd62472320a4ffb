// Output stage of the units: the pipeline never stalls (no enable fans out to its registers); every result enters a
// FIFO with room for all results in flight. in_ready is a credit check on a register (accepted and not yet popped
// < entries): no combinational path from out_ready to in_ready, and one result per cycle while out_ready holds.
module mxlab_out_fifo #(
    parameter integer W = 32,
    parameter integer LAT = 2  // cycles from an accepted input (in_valid && in_ready) to its push
) (
    input  logic         clk,
    input  logic         rst_n,
    input  logic         in_valid,
    output logic         in_ready,
    input  logic         push,
    input  logic [W-1:0] push_data,
    output logic         out_valid,
    input  logic         out_ready,
    output logic [W-1:0] out_data
);
  localparam integer D = LAT + 2;  // a result counts from its acceptance to its pop: LAT + 1 cycles at full rate
  localparam integer CW = $clog2(D + 1);
  localparam integer PW = (D < 2) ? 1 : $clog2(D);
  logic [CW-1:0] count, fill;  // accepted and not popped; held in the FIFO
  logic [PW-1:0] wp, rp;
  logic [W-1:0] mem[D];
  logic accept, pop;
  assign in_ready = count < CW'(D);
  assign accept = in_valid && in_ready;
  assign out_valid = fill != '0;
  assign pop = out_valid && out_ready;
  assign out_data = mem[rp];
  always_ff @(posedge clk or negedge rst_n) begin
    if (!rst_n) begin
      count <= '0;
      fill <= '0;
      wp <= '0;
      rp <= '0;
    end else begin
      count <= count + CW'(accept) - CW'(pop);
      fill <= fill + CW'(push) - CW'(pop);
      if (push) wp <= (wp == PW'(D - 1)) ? '0 : wp + PW'(1);
      if (pop) rp <= (rp == PW'(D - 1)) ? '0 : rp + PW'(1);
    end
  end
  always_ff @(posedge clk) if (push) mem[wp] <= push_data;
endmodule
