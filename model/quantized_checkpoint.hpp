// Quantized checkpoints: a PTQ result stored exactly, in the Hugging Face layout (model/hf_format.hpp save_hf with a
// QuantizedCheckpoint, read back by load_hf and read_quantization). Each quantized linear is stored as the codes
// and block scales the algorithm chose: a U8 tensor `<name>.weight.packed` of [rows, packed row bytes] in
// formats/packed.hpp's pack_rows layout (each block: its scale, then its element codes), rows in HF order. The
// scheme the model runs with, each packed tensor's format and block, and the provenance are JSON in the safetensors
// metadata under `mxlab.quantization`. Loading reproduces the logits of the run that wrote it bit for bit.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/quant_scheme.hpp"
#include "model/weights.hpp"

namespace mxlab::model {

// One quantized linear: the weight quantizer applied, its resolved block and the block scales (rows x
// ceil(cols / block) of traits(format).scale_bits() / 8 bytes, row-major, rows in the runtime's order).
struct PackedLinear {
  TensorQuant quant;
  int block = 0;
  float tensor_scale = 1.0f;  // nvfp4's second-level scale (quant.cfg.tensor_scale), else 1
  std::vector<std::uint8_t> scales;
};

struct QuantizedCheckpoint {
  QuantScheme scheme;  // as deployed: fakequant runs without weight hooks, exact mode with them against `scales`
  std::map<LinearId, PackedLinear> linears;
  nlohmann::json provenance = nlohmann::json::object();  // algorithm, calibration, source model (informative)
};

inline constexpr const char* kQuantizationKey = "mxlab.quantization";
inline constexpr const char* kPackedSuffix = ".weight.packed";

// The scheme as JSON and back (every field a runtime hook uses); scheme_from_json throws std::invalid_argument
// naming the bad field.
nlohmann::json scheme_to_json(const QuantScheme& s);
QuantScheme scheme_from_json(const nlohmann::json& j);

// A packed linear's metadata entry and its bytes: w's rows taken in `order` (row i of the result is w's row
// order[i]; empty = as is), packed against the matching recorded scales. Throws std::invalid_argument when a value
// is off the grid of its block scale (the weights were not quantized against these scales).
nlohmann::json packed_entry(const PackedLinear& p, const Matrix& w);
std::vector<std::uint8_t> pack_linear(const PackedLinear& p, const Matrix& w, const std::vector<int>& order);
// The inverse, from the entry and the bytes: the PackedLinear with its scales (rows as stored) and the stored shape,
// without decoding the values; unpack_linear decodes the values (rows as stored). Both throw std::runtime_error on
// an entry or byte count that does not fit.
PackedLinear packed_linear(const nlohmann::json& entry, const std::vector<std::uint8_t>& bytes, int& rows, int& cols);
Matrix unpack_linear(const nlohmann::json& entry, const std::vector<std::uint8_t>& bytes);

}  // namespace mxlab::model
