// Writing a PTQ result (`mxlab ptq --out`): after the run from the resident model (save_hf), or, in streamed PTQ,
// layer by layer as the quantizer finishes each one (a sharded checkpoint, model/hf_shards.hpp), so that only the
// layer being quantized is ever resident. Either form holds the packed codes and block scales the algorithm chose
// with the scheme (exact: reloading reproduces the run's weights and logits bit for bit), or, with `dequantized`,
// plain bf16 or f32 weights for other tools (bf16 rounds values that are not bf16 numbers, e.g. INT8 with FP32
// scales; MX and FP4 values with power-of-two scales are bf16 numbers).
#pragma once
#include <optional>

#include "algorithms/ptq_run.hpp"
#include "model/hf_shards.hpp"

namespace mxlab::algorithms {

// The exported form of a resident run (see PtqExport); packed unless out.dequantized.
void export_run(const PtqRunResult& r, const PtqExport& out);

// The LayerStream of streamed PTQ: begin(l) reads layer l in FP32 from the streamed source the context's model
// was loaded with; end(l) writes the quantized layer as one shard (packed against ctx.scales, or dequantized) and
// frees its linears; finish() writes the embedding, final norm, classifier and metadata and puts the directory in
// place. Nothing is left at out.path unless finish() completes.
class StreamedExport final : public LayerStream {
 public:
  // Takes ctx.weights' layer source (ctx.weights->streamed, reset: the PTQ runtimes read ctx.weights->layers, where
  // begin() puts the layer). Throws std::invalid_argument unless ctx.weights is streamed and out.path a directory.
  StreamedExport(PtqContext& ctx, const PtqExport& out);
  void begin(PtqContext& ctx, int layer) override;
  void end(PtqContext& ctx, int layer) override;
  // `q`: the run's scheme, provenance and classifier entry (quantized_checkpoint); unused when dequantized.
  void finish(const PtqContext& ctx, const model::QuantizedCheckpoint& q);

 private:
  std::shared_ptr<const model::LayerSource> source_;
  std::optional<model::Dtype> dequantized_;
  model::HfShardWriter writer_;
};

}  // namespace mxlab::algorithms
