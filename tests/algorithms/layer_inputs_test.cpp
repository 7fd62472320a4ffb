// The layer-input cache against full forward passes: every linear's calibration inputs bit for bit, also after
// a layer's weights change between captures (as GPTQ's and AWQ's sequential passes change them).
#include <gtest/gtest.h>

#include <omp.h>

#include "algorithms/layer_io.hpp"
#include "tiny_model.hpp"

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
  auto w = std::make_shared<model::ModelWeights>(*test::tiny_model(44, 5));  // its own copy: layers change below
  const model::ModelConfig& c = w->config;
  const std::vector<int> calib = test::random_tokens(3 * 32, 9);
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

// What LayerInputs did before its windows ran in parallel: one window after another on one runtime, the
// observer fed as they run.
struct SequentialInputs {
  std::vector<Matrix> x;
  int layer = 0;
  Matrix record(model::Runtime& rt, LinearId id) const {
    model::CaptureOptions opt;
    opt.stats = false;
    opt.record = id;
    model::CalibrationCapture capture(opt);
    for (const Matrix& w : x) {
      Matrix y = w;
      rt.run_layers(y, layer, layer + 1, &capture);
    }
    return capture.recorded();
  }
  void advance(model::Runtime& rt) {
    for (Matrix& w : x) rt.run_layers(w, layer, layer + 1);
    ++layer;
  }
};

// Windows in parallel (more windows than threads, chunks of windows) with stochastic activation rounding:
// every window draws the streams the sequential loop gave it, so every capture and every advanced state is
// the same bit for bit, at any thread count.
TEST(LayerInputs, ParallelWindowsEqualSequentialWithStochasticRounding) {
  const auto w = test::tiny_model(44, 7);
  const model::ModelConfig& c = w->config;
  const std::vector<int> calib = test::random_tokens(11 * 32, 3);
  model::QuantScheme s;
  s.linear.input = model::TensorQuant::parse("mxint4");
  s.linear.input.cfg.round = Round::stochastic;
  const int threads = omp_get_max_threads();
  for (int t : {1, 2, 5}) {
    omp_set_num_threads(t);
    model::Runtime rt(w, s), ref(w, s);
    LayerInputs inputs(rt, calib, 32);
    SequentialInputs seq;
    for (std::size_t i = 0; i < inputs.windows(); ++i) seq.x.push_back(ref.embed(std::span(calib).subspan(i * 32, 32)));
    for (int l = 0; l < c.n_layers; ++l) {
      for (LinearKind k : {LinearKind::q, LinearKind::down})
        EXPECT_EQ(record_inputs(rt, inputs, {l, k}), seq.record(ref, {l, k})) << t << " threads, layer " << l;
      inputs.advance(rt);
      seq.advance(ref);
    }
    Matrix classifier_in(0, c.dim);  // the advanced states themselves, normalized
    for (const Matrix& x : seq.x) {
      classifier_in.conservativeResize(classifier_in.rows() + x.rows(), Eigen::NoChange);
      classifier_in.bottomRows(x.rows()) = model::rms_norm(x, w->rms_final, c.norm_eps);
    }
    EXPECT_EQ(record_inputs(rt, inputs, {-1, LinearKind::classifier}), classifier_in) << t << " threads";
    // Both runtimes made as many forward calls: their next calls draw the same streams.
    Matrix a = seq.x[0], b = seq.x[0];
    rt.run_layers(a, 0, 1);
    ref.run_layers(b, 0, 1);
    EXPECT_EQ(a, b) << t << " threads";
  }
  omp_set_num_threads(threads);
}

}  // namespace
}  // namespace mxlab::algorithms
