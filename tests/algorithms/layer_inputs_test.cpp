// The layer-input cache against full forward passes: every linear's calibration inputs bit for bit, also after
// a layer's weights change between captures (as GPTQ's and AWQ's sequential passes change them).
#include <gtest/gtest.h>

#include <random>

#include "algorithms/layer_io.hpp"

namespace mxlab::algorithms {
namespace {

// The old way: a full forward over every window, recording one linear's inputs.
Matrix full_forward_inputs(model::Runtime& rt, std::span<const int> calib, int ctx, LinearId id) {
  model::CaptureOptions opt;
  opt.stats = false;
  opt.record = id;
  model::CalibrationCapture capture(opt);
  model::calibrate(rt, calib, ctx, capture);
  return capture.recorded();
}

TEST(LayerInputs, EqualFullForwardBitForBitAsLayersChange) {
  model::ModelConfig c;
  c.dim = 32, c.hidden_dim = 44, c.n_layers = 3, c.n_heads = 4, c.n_kv_heads = 2, c.vocab_size = 64, c.seq_len = 32;
  c.head_size = 8;
  auto w = std::make_shared<model::ModelWeights>(model::ModelWeights::random(c, 5));
  std::mt19937 rng(9);
  std::vector<int> calib(3 * 32);
  for (int& t : calib) t = static_cast<int>(rng() % 64);
  model::QuantScheme s;  // activation hooks on, as GPTQ calibrates
  s.linear.input = model::TensorQuant::parse("mxint8");
  model::Runtime rt(w, s), ref(w, s);
  LayerInputs inputs(rt, calib, 32);
  EXPECT_EQ(inputs.windows(), 3u);
  const model::TensorQuant q = model::TensorQuant::parse("mxint4");
  for (int l = 0; l < c.n_layers; ++l) {
    for (LinearKind k : model::kBlockLinears) {
      ref.clear_weight_cache();
      EXPECT_EQ(record_inputs(rt, inputs, {l, k}), full_forward_inputs(ref, calib, 32, {l, k})) << l << " " << kind_name(k);
      model::quantize_rows(q, w->linear({l, k}).weight);  // the layer changes under the cache, as in GPTQ
      rt.clear_weight_cache();
    }
    EXPECT_THROW(record_inputs(rt, inputs, {l + 1, LinearKind::q}), std::logic_error);
    inputs.advance(rt);
  }
  ref.clear_weight_cache();
  EXPECT_EQ(record_inputs(rt, inputs, {-1, LinearKind::classifier}),
            full_forward_inputs(ref, calib, 32, {-1, LinearKind::classifier}));
  EXPECT_THROW(inputs.advance(rt), std::logic_error);
  EXPECT_THROW(LayerInputs(rt, std::span(calib).first(20), 32), std::invalid_argument);
}

}  // namespace
}  // namespace mxlab::algorithms
