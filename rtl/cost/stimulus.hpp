// Input vectors for gate-level energy: a catalog unit fed with real operands (weights and activations quantized as
// the runtime's exact GEMM feeds them) or with uniformly random valid codes, one vector per clock cycle, written in
// the unit's port encoding by the golden-line writers of rtl/models/ (golden.hpp, int_reference.hpp).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "formats/format.hpp"
#include "formats/packed.hpp"
#include "rtl/models/golden.hpp"
#include "rtl/models/units.hpp"

namespace mxlab::cost {

// Real operands: a weight matrix (rows = output channels) and activations (rows = tokens) sharing K columns, plus a
// description for reports ("stories260K layer 0 wq, ...").
struct Operands {
  std::string what;
  int k = 0;
  std::vector<float> weight;      // n_out x k, row-major
  std::vector<float> activation;  // tokens x k, row-major
  std::size_t rows_w() const { return k ? weight.size() / k : 0; }
  std::size_t rows_x() const { return k ? activation.size() / k : 0; }
};

// A unit and the formats it multiplies: `weight` on the weight side, `act` on the other. W x A units (element sets
// of A and B differ, e.g. int4x8_*, fp4v_mac, fp_group_dot) take the weights on A, the others on B (activations on
// A, as tests/rtl/layer_cosim_test.cpp streams them). VQ units (`vq`) multiply the VQ rows of the format table whose
// D and K = 2^(bits D) are the unit's D and 2^IDX_BITS (indices on in_idx) by the INT8 activations of the INT MACs'
// partner family (int_group, FP32 scale per group applied outside, as for int_mac); a VQ unit no table row fits
// (vq_mac_d4k256) keeps the format-less row "vq" (`in_table` false: random codebooks and operands only).
struct UnitFormat {
  const rtl::UnitConfig* unit = nullptr;
  std::string name;  // the weight format's name ("vq" for a VQ unit without a table row)
  Format weight{}, act{};
  bool weights_on_a = false;
  bool vq = false;
  bool in_table = true;
  double bits_per_weight() const;  // the weight format's exact storage (VQ: codebook included; "vq": IDX_BITS / D)
  int macs_per_vector() const;     // lanes (VQ: lanes x D: a MAC is one weight x one activation)
};

// The formats a unit multiplies (catalog order of the format table); throws std::invalid_argument naming the unit's
// accepted formats when `format` is not one of them.
std::vector<UnitFormat> unit_formats(const rtl::UnitConfig& u);
UnitFormat unit_format(const rtl::UnitConfig& u, const std::string& format);

// The block pairs of one output of a GEMM on the unit's A and B sides (K blocks in order, a clear on the first; short
// last blocks padded with codes of value zero, asymmetric INT: the zero point; with tensor scales, alpha = fl32(g_a
// g_w) on every block): what the runtime's `--gemm exact` and the accelerator feed the unit.
std::vector<rtl::BlockVector> gemm_block_pairs(const PackedTensor& a, const PackedTensor& b, int lanes);

enum class OperandKind { model, random };
const char* operand_name(OperandKind k);

// `count` vectors (one per cycle) for the unit's input ports: a map port -> hex value per cycle (every input of the
// unit except clk and rst_n). model: the GEMM's block pairs in order (token, output channel, K block; a clear at each
// output's first block), the first `count` of them; throws when the operands have fewer. random: seeded, element
// codes uniform over the finite codes of each side's element, scales uniform over a band around 1 (E8M0 127 +- 16,
// UE4M3 codes 0x30..0x48, FP32 exponent 127 +- 16 with a random significand, positive; zero points uniform), a clear
// every K / lanes vectors as for K = 64 (VQ: K = 64 / D indices); VQ units first load a random INT8 codebook (those
// K writes are cycles of the window too). VQ model operands: each weight row encoded by the VQ format's reference
// encoder (encode_ref, per row as the runtime's exact GEMM quantizes it: its blocks' INT8 codebooks and indices),
// each token row in the INT8 partner format; order output channel, token, K (a channel's codebook stays loaded over
// the tokens); a block's codebook is written (K writes, cycles of the window) before the first vector reading it.
std::vector<std::map<std::string, std::string>> unit_vectors(const UnitFormat& uf, OperandKind kind,
                                                             const Operands* real, std::size_t count,
                                                             std::uint64_t seed);

}  // namespace mxlab::cost
