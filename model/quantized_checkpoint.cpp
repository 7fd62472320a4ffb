// Quantized checkpoint pieces: the scheme as JSON, and one linear's packed rows (formats/packed.hpp pack_rows).
#include "model/quantized_checkpoint.hpp"

#include <stdexcept>

#include "formats/packed.hpp"
#include "formats/rounding.hpp"

namespace mxlab::model {
namespace {

using nlohmann::json;

json quant_to_json(const TensorQuant& q) {
  if (!q.format) return nullptr;
  json j = {{"format", traits(*q.format).name}, {"block", q.per_row ? json("row") : json(q.cfg.block)},
            {"round", round_name(q.cfg.round)}, {"seed", q.cfg.seed}, {"tensor_scale", q.cfg.tensor_scale}};
  if (q.static_scale > 0) j["static_scale"] = q.static_scale;  // a calibrated scale (exact: float in a double)
  return j;
}

template <class T>
T field(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) throw std::invalid_argument(where + ": '" + key + "' missing");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw std::invalid_argument(where + ": '" + key + "' has the wrong type (" + j.at(key).dump() + ")");
  }
}

TensorQuant quant_from_json(const json& j, const std::string& where) {
  if (j.is_null()) return {};
  const json& b = j.contains("block") ? j.at("block") : json();
  TensorQuant q = TensorQuant::parse(field<std::string>(j, "format", where),
                                     b == "row" ? kBlockRow : field<int>(j, "block", where));
  q.cfg.round = parse_round(field<std::string>(j, "round", where));
  q.cfg.seed = field<std::uint64_t>(j, "seed", where);
  q.cfg.tensor_scale = field<bool>(j, "tensor_scale", where);
  q.static_scale = j.contains("static_scale") ? field<float>(j, "static_scale", where) : 0.0f;
  if (!(q.static_scale >= 0)) throw std::invalid_argument(where + ": 'static_scale' must be >= 0");
  return q;
}

json linear_to_json(const LinearQuant& l) {
  return {{"weight", quant_to_json(l.weight)}, {"input", quant_to_json(l.input)}, {"output", quant_to_json(l.output)}};
}
LinearQuant linear_from_json(const json& j, const std::string& where) {
  return {quant_from_json(j.value("weight", json()), where + ".weight"),
          quant_from_json(j.value("input", json()), where + ".input"),
          quant_from_json(j.value("output", json()), where + ".output")};
}

}  // namespace

json scheme_to_json(const QuantScheme& s) {
  json over = json::object();
  for (const auto& [name, l] : s.overrides) over[name] = linear_to_json(l);
  return {{"gemm", gemm_mode_name(s.gemm)},       {"acc", s.acc.name()},
          {"linear", linear_to_json(s.linear)},   {"quantize_classifier", s.quantize_classifier},
          {"overrides", over},                    {"kv_cache", quant_to_json(s.kv_cache)},
          {"attn_scores", quant_to_json(s.attn_scores)}, {"attn_values", quant_to_json(s.attn_values)}};
}

QuantScheme scheme_from_json(const json& j) {
  const std::string w = "quantization scheme";
  if (!j.is_object()) throw std::invalid_argument(w + ": not a JSON object");
  QuantScheme s;
  s.gemm = parse_gemm_mode(field<std::string>(j, "gemm", w));
  s.acc = AccFormat::parse(field<std::string>(j, "acc", w));
  s.linear = linear_from_json(j.value("linear", json::object()), w + ".linear");
  s.quantize_classifier = j.value("quantize_classifier", false);
  const json overrides = j.value("overrides", json::object());  // named: items() of a temporary would dangle
  for (const auto& [name, l] : overrides.items())
    s.overrides[name] = linear_from_json(l, w + ".overrides." + name);
  s.kv_cache = quant_from_json(j.value("kv_cache", json()), w + ".kv_cache");
  s.attn_scores = quant_from_json(j.value("attn_scores", json()), w + ".attn_scores");
  s.attn_values = quant_from_json(j.value("attn_values", json()), w + ".attn_values");
  return s;
}

json packed_entry(const PackedLinear& p, const Matrix& w) {
  json e = {{"quant", quant_to_json(p.quant)}, {"block", p.block}, {"rows", w.rows()}, {"cols", w.cols()}};
  if (p.quant.cfg.tensor_scale) e["tensor_scale"] = p.tensor_scale;
  return e;
}

std::vector<std::uint8_t> pack_linear(const PackedLinear& p, const Matrix& w, const std::vector<int>& order) {
  if (!p.quant.format) throw std::invalid_argument("pack_linear: no weight format");
  const Format f = *p.quant.format;
  const auto rows = static_cast<int>(w.rows()), cols = static_cast<int>(w.cols());
  const std::size_t scale_row = p.scales.size() / std::max(rows, 1);
  Matrix v(rows, cols);
  std::vector<std::uint8_t> scales(p.scales.size());
  for (int i = 0; i < rows; ++i) {
    const int src = order.empty() ? i : order[static_cast<std::size_t>(i)];
    v.row(i) = w.row(src);
    std::copy_n(p.scales.begin() + static_cast<std::ptrdiff_t>(src * scale_row), scale_row,
                scales.begin() + static_cast<std::ptrdiff_t>(i * scale_row));
  }
  return pack_rows(f, p.block, {v.data(), static_cast<std::size_t>(v.size())}, rows, cols, scales, p.tensor_scale);
}

PackedLinear packed_linear(const json& entry, const std::vector<std::uint8_t>& bytes, int& rows, int& cols) {
  const std::string w = "packed tensor entry";
  PackedLinear pl;
  pl.quant = quant_from_json(entry.value("quant", json()), w + ".quant");
  if (!pl.quant.format) throw std::runtime_error(w + ": no format");
  pl.block = field<int>(entry, "block", w);
  pl.tensor_scale = entry.value("tensor_scale", 1.0f);
  rows = field<int>(entry, "rows", w), cols = field<int>(entry, "cols", w);
  if (pl.block <= 0 || rows <= 0 || cols <= 0) throw std::runtime_error(w + ": block, rows and cols must be > 0");
  const Format f = *pl.quant.format;
  if (bytes.size() != static_cast<std::size_t>(rows) * packed_row_bytes(f, pl.block, cols))
    throw std::runtime_error(std::to_string(bytes.size()) + " bytes are not " + std::to_string(rows) + " packed rows of " +
                             std::to_string(cols) + " values");
  const FormatTraits& t = traits(f);  // each block's scale bytes lead the block
  const std::size_t sb = static_cast<std::size_t>(t.scale_bits() / 8), bb = t.block_bytes(pl.block);
  for (std::size_t b = 0; b < bytes.size() / bb; ++b)
    pl.scales.insert(pl.scales.end(), bytes.begin() + static_cast<std::ptrdiff_t>(b * bb),
                     bytes.begin() + static_cast<std::ptrdiff_t>(b * bb + sb));
  return pl;
}

Matrix unpack_linear(const json& entry, const std::vector<std::uint8_t>& bytes) {
  int rows = 0, cols = 0;
  const PackedLinear p = packed_linear(entry, bytes, rows, cols);
  const std::vector<float> v = unpack_rows(*p.quant.format, p.block, bytes, rows, cols, p.tensor_scale);
  return Eigen::Map<const Matrix>(v.data(), rows, cols);
}

}  // namespace mxlab::model
