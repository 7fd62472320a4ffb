// Decodes one element code of a type fixed at elaboration into the exact form (-1)^neg * sig * 2^(sh + lsb).
// FP (OCP MX v1.0 5.3.1): sig = {E != 0, M}, sh = max(E, 1) - 1; INT (5.3.3): sig = |k|, sh = 0;
// E8M0 (5.4): sig = 1, sh = code (lsb -127), 0xFF NaN; OCP FP8 specials: E4M3 S.1111.111 NaN, E5M2 S.11111.xx Inf/NaN.
module mxlab_elem_decode_fixed #(
    parameter integer ELEM = 4
) (
    input  logic [7:0] code,
    output logic       nan,
    output logic       inf,
    output logic       neg,
    output logic [7:0] sig,
    output logic [7:0] sh
);
  localparam integer B = mxlab_formats_pkg::elem_bits(ELEM);
  localparam integer EB = mxlab_formats_pkg::elem_ebits(ELEM);
  localparam integer MB = mxlab_formats_pkg::elem_mbits(ELEM);
  localparam integer IS_INT = mxlab_formats_pkg::elem_is_int(ELEM);
  localparam integer SIGNED = mxlab_formats_pkg::elem_is_signed(ELEM);
  localparam integer SPECIALS = mxlab_formats_pkg::elem_specials(ELEM);
  // UE4M3 is stored in 8 bits with bit 7 zero: it is not part of the value.
  localparam integer VBITS = (ELEM == mxlab_formats_pkg::ELEM_UE4M3) ? 7 : B;
  localparam logic [7:0] CMASK = 8'((1 << VBITS) - 1);
  localparam logic [7:0] EMASK = 8'((1 << EB) - 1);
  localparam logic [7:0] MMASK = 8'((1 << MB) - 1);
  localparam logic [7:0] HIDDEN = 8'(1 << MB);

  logic [7:0] c, ef, mf;
  always_comb begin
    c = code & CMASK;
    ef = (c >> MB) & EMASK;
    mf = c & MMASK;
    nan = 1'b0;
    inf = 1'b0;
    neg = 1'b0;
    sig = 8'd0;
    sh = 8'd0;
    if (IS_INT != 0) begin  // two's complement; |-2^(B-1)| = 2^(B-1) still fits B bits
      neg = c[B-1];
      sig = neg ? ((~c + 8'd1) & CMASK) : c;
    end else if (SPECIALS == 3) begin  // E8M0
      nan = c == 8'hFF;
      sig = 8'd1;
      sh = c;
    end else begin
      neg = (SIGNED != 0) && c[VBITS-1];
      sig = ((ef != 8'd0) ? HIDDEN : 8'd0) | mf;
      sh = (ef == 8'd0) ? 8'd0 : ef - 8'd1;
      if (SPECIALS == 1 && ef == EMASK && mf == MMASK) nan = 1'b1;
      if (SPECIALS == 2 && ef == EMASK) begin
        if (mf == 8'd0) inf = 1'b1;
        else nan = 1'b1;
      end
    end
  end
endmodule
