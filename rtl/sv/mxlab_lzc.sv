// Leading-zero count of a W-bit vector (W for zero): binary search, log2 steps.
module mxlab_lzc #(
    parameter integer W = 8,
    localparam integer LW = $clog2(W + 1)
) (
    input  logic [W-1:0]  x,
    output logic [LW-1:0] lz
);
  localparam integer LP = $clog2(W);
  localparam integer P = 1 << LP;  // padded width: the pad bits are ones, so the count stops at W
  logic [P-1:0] v;
  always_comb begin
    v = (P'(x) << (P - W)) | ({P{1'b1}} >> W);  // x at the top, ones below
    lz = '0;
    for (integer k = LP - 1; k >= 0; k = k - 1) begin
      if ((v >> (P - (1 << k))) == '0) begin
        lz = lz + LW'(1 << k);
        v = v << (1 << k);
      end
    end
    if (W == P && v[P-1] == 1'b0) lz = lz + LW'(1);  // x == 0: the search stops at W - 1
  end
endmodule
