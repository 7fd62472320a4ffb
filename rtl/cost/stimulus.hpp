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
// A, as tests/rtl/layer_cosim_test.cpp streams them). VQ units have no table format: `vq` is true.
struct UnitFormat {
  const rtl::UnitConfig* unit = nullptr;
  std::string name;  // the weight format's name ("vq" for VQ units)
  Format weight{}, act{};
  bool weights_on_a = false;
  bool vq = false;
  double bits_per_weight() const;
  int macs_per_vector() const;  // lanes (VQ: lanes x D)
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
// K writes are cycles of the window too).
std::vector<std::map<std::string, std::string>> unit_vectors(const UnitFormat& uf, OperandKind kind,
                                                             const Operands* real, std::size_t count,
                                                             std::uint64_t seed);

}  // namespace mxlab::cost
