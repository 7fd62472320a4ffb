// Quantization hook configuration and row-wise fake quantization.
#include "model/quant_scheme.hpp"

#include <span>
#include <charconv>
#include <stdexcept>

#include "formats/block_codecs.hpp"
#include "formats/llmfp4.hpp"
#include "formats/rounding.hpp"

namespace mxlab::model {

std::string_view gemm_mode_name(GemmMode m) { return m == GemmMode::exact ? "exact" : "fakequant"; }

GemmMode parse_gemm_mode(std::string_view name) {
  if (name == "fakequant") return GemmMode::fakequant;
  if (name == "exact") return GemmMode::exact;
  throw std::invalid_argument("unknown GEMM mode '" + std::string(name) + "' (fakequant, exact)");
}

int parse_block(std::string_view text) {
  if (text == "row") return kBlockRow;
  int b = -1;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), b);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || b < 0)
    throw std::invalid_argument("bad block size '" + std::string(text) + "' (use an integer >= 0, 0 = the format's default, or 'row')");
  return b;
}

std::string TensorQuant::describe() const {
  if (!format) return "none";
  const FormatTraits& t = traits(*format);
  return std::string(t.name) + "/" + (per_row ? std::string("row") : std::to_string(cfg.block ? cfg.block : t.default_block)) +
         (cfg.tensor_scale ? "+tensor-scale" : "") + (static_scale > 0 ? "+static" : "");
}

TensorQuant TensorQuant::parse(std::string_view name, int block) {
  TensorQuant q;
  if (name.empty() || name == "none" || name == "fp32") return q;
  q.format = find_format(name).id;  // throws std::invalid_argument listing the known names
  q.per_row = block == kBlockRow;
  q.cfg.block = q.per_row ? 0 : block;
  (void)resolve_block(traits(*q.format), q.cfg);  // validate the block size now, not mid-forward
  return q;
}

int TensorQuant::block_for(int cols) const {
  if (per_row) return cols;
  return cfg.block ? cfg.block : (format ? traits(*format).default_block : 0);
}

QuantConfig TensorQuant::config(int cols, std::uint64_t stream) const {
  QuantConfig c = cfg;
  if (per_row) c.block = cols;
  c.seed = cfg.seed ^ (stream * 0x9e3779b97f4a7c15ull);
  return c;
}

TensorQuant TensorQuant::in_stream(std::uint64_t stream) const {
  TensorQuant q = *this;
  q.cfg.seed = config(0, stream).seed;
  return q;
}

LinearQuant QuantScheme::for_linear(LinearId id) const {
  if (auto it = overrides.find(linear_name(id)); it != overrides.end()) return it->second;
  if (id.kind == LinearKind::classifier && !quantize_classifier) return {};
  return linear;
}

bool QuantScheme::any() const {
  if (linear.enabled() || kv_cache.enabled() || attn_scores.enabled() || attn_values.enabled()) return true;
  for (const auto& [name, q] : overrides)
    if (q.enabled()) return true;
  return false;
}

std::string QuantScheme::describe() const {
  std::string s = "W=" + linear.weight.describe() + " A=" + linear.input.describe();
  if (linear.output.enabled()) s += " O=" + linear.output.describe();
  if (quantize_classifier) s += " +classifier";
  if (kv_cache.enabled()) s += " KV=" + kv_cache.describe();
  if (attn_scores.enabled()) s += " QK=" + attn_scores.describe();
  if (attn_values.enabled()) s += " PV=" + attn_values.describe();
  if (!overrides.empty()) s += " (" + std::to_string(overrides.size()) + " overrides)";
  if (gemm == GemmMode::exact) s += " gemm=exact acc=" + acc.name();
  return s;
}

QuantScheme linear_scheme(const LinearSchemeOptions& o) {
  QuantScheme s;
  s.linear.weight = TensorQuant::parse(o.weights, parse_block(o.block));
  s.linear.input = TensorQuant::parse(o.acts, parse_block(o.act_block));
  for (TensorQuant* q : {&s.linear.weight, &s.linear.input}) q->cfg.round = parse_round(o.round), q->cfg.seed = o.round_seed;
  s.quantize_classifier = o.quantize_classifier;
  set_gemm(s, o.gemm, o.acc, o.tensor_scale);
  return s;
}

void set_gemm(QuantScheme& scheme, std::string_view gemm, std::string_view acc, bool tensor_scale) {
  scheme.gemm = parse_gemm_mode(gemm);
  scheme.acc = AccFormat::parse(acc);
  if (scheme.gemm == GemmMode::exact && !(scheme.linear.weight.enabled() && scheme.linear.input.enabled()))
    throw std::invalid_argument("--gemm exact needs both a weight format and an activation format (weights, acts)");
  if (!tensor_scale) return;
  bool any = false;
  auto set = [&](TensorQuant& q) {
    if (q.format == Format::nvfp4) q.cfg.tensor_scale = any = true;
  };
  set(scheme.linear.weight), set(scheme.linear.input), set(scheme.linear.output);
  for (auto& [name, l] : scheme.overrides) set(l.weight), set(l.input), set(l.output);
  for (TensorQuant* q : {&scheme.kv_cache, &scheme.attn_scores, &scheme.attn_values}) set(*q);
  if (!any) throw std::invalid_argument("--tensor-scale (tensor_scale) applies to nvfp4 only, and no quantizer here is nvfp4");
}

std::uint64_t quant_stream(LinearId id, int slot, std::uint64_t call) {
  return ((call * 4096 + static_cast<std::uint64_t>(id.layer + 1)) * 16 + static_cast<std::uint64_t>(id.kind)) * 16 +
         static_cast<std::uint64_t>(slot);
}

void quantize_rows(const TensorQuant& q, Matrix& m, std::uint64_t stream) {
  if (!q.format || m.size() == 0) return;
  if (q.static_scale > 0) {  // one calibrated scale for every block: each value through the codec's element path
    const FormatTraits& t = traits(*q.format);
    if (t.scale != ScaleType::fp32 || q.cfg.round != Round::even)
      throw std::invalid_argument(std::string("a static scale needs an FP32-scaled format and round=even, not ") + t.name);
    m = m.unaryExpr([&](float v) { return quantize_with_scale(t.elem, v, q.static_scale); });
    return;
  }
  QuantConfig base = q.config(static_cast<int>(m.cols()), stream);
  (void)resolve_block(traits(*q.format), base);  // throw here, never inside the parallel loop
  if (base.tensor_scale)  // one nvfp4 tensor scale for the whole matrix (NVIDIA's recipe), shared by every row
    base.tensor_scale_value = codecs::nvfp4_tensor_scale({m.data(), static_cast<std::size_t>(m.size())}, base);
  const Eigen::Index rows = m.rows(), cols = m.cols();
#pragma omp parallel for schedule(static) if (rows > 1 && m.size() > 4096)
  for (Eigen::Index r = 0; r < rows; ++r) {
    QuantConfig cfg = base;
    cfg.index_base = q.cfg.index_base + static_cast<std::size_t>(r * cols);
    std::span<float> row(m.row(r).data(), static_cast<std::size_t>(cols));
    fake_quantize(*q.format, row, row, cfg);
  }
}

}  // namespace mxlab::model
