// Exporting PTQ results: resident (save_hf) and streamed layer by layer (HfShardWriter).
#include "algorithms/export.hpp"

#include <stdexcept>

#include "model/hf_format.hpp"

namespace mxlab::algorithms {
namespace {

model::HfShardWriter shard_writer(const PtqContext& ctx, const PtqExport& out) {
  if (!ctx.weights || !ctx.weights->streamed)
    throw std::invalid_argument("streamed PTQ needs a model loaded streamed (an HF safetensors checkpoint)");
  if (out.path.extension() == ".safetensors")
    throw std::invalid_argument("--out " + out.path.string() + ": streamed PTQ writes a sharded checkpoint directory, "
                                "not one .safetensors file (give a directory, or --stream off)");
  return model::HfShardWriter(out.path, ctx.weights->config.n_layers, out.dequantized.value_or(model::Dtype::f32));
}

}  // namespace

void export_run(const PtqRunResult& r, const PtqExport& out) {
  if (out.dequantized) return model::save_hf(*r.weights, out.path, *out.dequantized);
  model::QuantizedCheckpoint q = quantized_checkpoint(r);
  q.provenance.update(out.provenance);
  model::save_hf(*r.weights, out.path, model::Dtype::f32, &q);
}

StreamedExport::StreamedExport(PtqContext& ctx, const PtqExport& out)
    : source_(ctx.weights ? ctx.weights->streamed : nullptr), dequantized_(out.dequantized), writer_(shard_writer(ctx, out)) {
  ctx.weights->streamed.reset();
}

void StreamedExport::begin(PtqContext& ctx, int layer) {
  ctx.weights->layers.at(static_cast<std::size_t>(layer)) = source_->layer(layer);
}

void StreamedExport::end(PtqContext& ctx, int layer) {
  model::QuantizedCheckpoint q;  // this layer's quantized linears
  if (!dequantized_)
    for (const auto& [id, s] : ctx.scales)
      if (id.layer == layer) q.linears[id] = {s.quant, s.block, s.tensor_scale, s.bytes};
  writer_.write_layer(*ctx.weights, layer, dequantized_ ? nullptr : &q);
  model::LayerWeights& L = ctx.weights->layers.at(static_cast<std::size_t>(layer));
  for (model::LinearKind k : model::kBlockLinears) L.linear(k) = model::Linear{};  // the norms stay (small)
}

void StreamedExport::finish(const PtqContext& ctx, const model::QuantizedCheckpoint& q) {
  writer_.finish(*ctx.weights, dequantized_ ? nullptr : &q);
}

}  // namespace mxlab::algorithms
