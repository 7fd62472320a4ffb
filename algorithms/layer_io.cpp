// Layer inputs, block re-runs and scale folding for the PTQ algorithms.
#include "algorithms/layer_io.hpp"

#include <omp.h>

#include <algorithm>
#include <stdexcept>

#include "algorithms/parallel.hpp"
#include "model/attention.hpp"
#include "model/block.hpp"

namespace mxlab::algorithms {

LayerInputs::LayerInputs(const model::Runtime& rt, std::span<const int> calib, int ctx) : n_layers_(rt.config().n_layers) {
  if (ctx <= 0) ctx = rt.config().seq_len;
  if (calib.size() < static_cast<std::size_t>(ctx))
    throw std::invalid_argument("calibration: " + std::to_string(calib.size()) + " tokens are fewer than one window of " +
                                std::to_string(ctx));
  for (std::size_t start = 0; start + ctx <= calib.size(); start += ctx) x_.push_back(rt.embed(calib.subspan(start, ctx)));
}

namespace {
// What one window's layer showed the observer (the wanted linears only), to be passed on in window order.
class Recorder final : public model::LinearObserver {
 public:
  explicit Recorder(const std::function<bool(LinearId)>* wanted) : wanted_(wanted) {}
  void observe(LinearId id, const Matrix& x) override {
    if (!*wanted_ || (*wanted_)(id)) seen.emplace_back(id, x);
  }
  std::vector<std::pair<LinearId, Matrix>> seen;

 private:
  const std::function<bool(LinearId)>* wanted_;
};
}  // namespace

void LayerInputs::observe(model::Runtime& rt, model::LinearObserver& observer,
                          const std::function<bool(LinearId)>& wanted) const {
  if (layer_ == n_layers_) {  // the classifier's input; its output (vocab wide) is not needed
    for (const Matrix& x : x_)
      observer.observe({-1, LinearKind::classifier}, model::rms_norm(x, rt.weights().rms_final, rt.config().norm_eps));
    return;
  }
  // Windows in chunks computed in parallel, each window's inputs passed on in window order (the observer
  // accumulates, and floating-point sums depend on the order).
  const std::size_t chunk = 2 * static_cast<std::size_t>(std::max(1, omp_get_max_threads()));
  std::vector<Recorder> seen;
  for (std::size_t c0 = 0; c0 < x_.size(); c0 += chunk) {
    const std::size_t c1 = std::min(c0 + chunk, x_.size());
    seen.assign(c1 - c0, Recorder(&wanted));
    parallel_runs(rt, c0, c1, [&](model::Runtime& copy, std::size_t i) {
      Matrix y = x_[i];
      copy.run_layers(y, layer_, layer_ + 1, &seen[i - c0]);
    });
    for (Recorder& r : seen)
      for (const auto& [id, x] : r.seen) observer.observe(id, x);
  }
}

void LayerInputs::advance(model::Runtime& rt) {
  if (layer_ == n_layers_) throw std::logic_error("LayerInputs: already past the last layer");
  parallel_runs(rt, 0, x_.size(), [&](model::Runtime& copy, std::size_t i) { copy.run_layers(x_[i], layer_, layer_ + 1); });
  ++layer_;
}

namespace {
// Passes every observed input on to `inner` quantized in `act`, with the stream of the runtime's input hook.
class QuantizingObserver final : public model::LinearObserver {
 public:
  QuantizingObserver(const model::TensorQuant& act, model::LinearObserver& inner) : act_(act), inner_(inner) {}
  void observe(LinearId id, const Matrix& x) override {
    Matrix q = x;
    model::quantize_rows(act_, q, model::quant_stream(id, 1, 0));
    inner_.observe(id, q);
  }

 private:
  const model::TensorQuant& act_;
  model::LinearObserver& inner_;
};

// The inputs of linear `id` that `feed` passes to an observer in window order (quantized in `act` when given and
// enabled): its raw rows (record) or its X^T X (hessian).
model::CalibrationCapture capture_one(LinearId id, bool hessian, const model::TensorQuant* act,
                                      const std::function<void(model::LinearObserver&)>& feed) {
  model::CaptureOptions opt;
  opt.stats = false;
  opt.hessian = hessian;
  opt.select = [id](LinearId x) { return x == id; };
  if (!hessian) opt.record = id;
  model::CalibrationCapture capture(opt);
  if (act && act->enabled()) {
    QuantizingObserver quantized(*act, capture);
    feed(quantized);
  } else {
    feed(capture);
  }
  return capture;
}

model::CalibrationCapture capture_one(model::Runtime& runtime, const LayerInputs& inputs, LinearId id, bool hessian,
                                      const model::TensorQuant* act = nullptr) {
  const int layer = id.kind == LinearKind::classifier ? runtime.config().n_layers : id.layer;
  if (layer != inputs.layer())
    throw std::logic_error("layer inputs are at layer " + std::to_string(inputs.layer()) + ", not at " + model::linear_name(id));
  const std::function<bool(LinearId)> wanted = [id](LinearId x) { return x == id; };
  return capture_one(id, hessian, act, [&](model::LinearObserver& o) { inputs.observe(runtime, o, wanted); });
}

Eigen::MatrixXd hessian_of(const model::CalibrationCapture& capture, LinearId id) {
  const model::LinearStats& st = capture.stats(id);
  return 2.0 * st.xtx / static_cast<double>(st.rows);
}
}  // namespace

Matrix record_inputs(model::Runtime& runtime, const LayerInputs& inputs, LinearId id) {
  return capture_one(runtime, inputs, id, false).recorded();
}

Eigen::MatrixXd input_hessian(model::Runtime& runtime, const LayerInputs& inputs, LinearId id,
                              const model::TensorQuant* act) {
  return hessian_of(capture_one(runtime, inputs, id, true, act), id);
}

StagedLayer::StagedLayer(model::Runtime& rt, LayerInputs& inputs) : inputs_(inputs), in_(inputs.windows()) {
  if (inputs.layer() == inputs.n_layers_) throw std::logic_error("StagedLayer: the layer inputs are past the last layer");
  const model::ModelConfig& c = rt.config();
  const Vector& norm = rt.weights().layers.at(static_cast<std::size_t>(inputs.layer())).rms_att;
  parallel_items(0, in_.size(), [&](std::size_t i) { in_[i] = model::rms_norm(inputs_.x_[i], norm, c.norm_eps); });
}

Eigen::MatrixXd StagedLayer::hessian(const model::TensorQuant* act) const {
  if (done()) throw std::logic_error("StagedLayer: the layer is done");
  const LinearId id{inputs_.layer(), group()};
  return hessian_of(capture_one(id, true, act, [&](model::LinearObserver& o) {
    for (const Matrix& x : in_) o.observe(id, x);
  }), id);
}

// Runtime::block in stages: x += o(attend(q, k, v)) of the RMSNorm of x, then x += down(silu(gate) * up) of the
// RMSNorm of that, the linear whose inputs a stage wants caught on its way in (attention_block and mlp_block
// called with it, so the sub-blocks' arithmetic is theirs) and applied in the next stage, once it is quantized.
void StagedLayer::next(model::Runtime& rt) {
  if (done()) throw std::logic_error("StagedLayer: the layer is done");
  const int l = inputs_.layer();
  const model::ModelConfig& c = rt.config();
  const model::LayerWeights& L = rt.weights().layers.at(static_cast<std::size_t>(l));
  parallel_runs(rt, 0, in_.size(), [&](model::Runtime& copy, std::size_t i) {
    Matrix& x = inputs_.x_[i];
    Matrix& in = in_[i];
    const auto catching = [&](LinearKind wanted) {
      return [&copy, &in, l, wanted](LinearKind kind, const Matrix& v) {
        if (kind != wanted) return copy.linear({l, kind}, v);
        in = v;  // the next group's inputs; the linear itself runs in the next stage
        return Matrix();
      };
    };
    Matrix held = std::move(in);  // in receives the next group's inputs
    switch (stage_) {
      case 0: model::attention_block(c, held, 0, catching(LinearKind::o), copy.attend_fn(l)); break;
      case 1: x += copy.linear({l, LinearKind::o}, held), in = model::rms_norm(x, L.rms_ffn, c.norm_eps); break;
      case 2: model::mlp_block(held, catching(LinearKind::down)); break;
      default: x += copy.linear({l, LinearKind::down}, held); break;
    }
    skip_forward_calls(copy, 1);  // parallel_runs: one forward call per window
  });
  if (++stage_ == 4) {
    in_.clear();
    ++inputs_.layer_;
  }
}

Matrix linear_output(const model::Linear& lin, const Matrix& x, const Matrix* weight) {
  Matrix y = x * (weight ? *weight : lin.weight).transpose();
  if (lin.bias.size() > 0) y.rowwise() += lin.bias.transpose();
  return y;
}

namespace {
// The linears of one layer with some weights and inputs substituted (the block's LinearFn).
model::LinearFn substituted(const model::ModelWeights& w, int layer, const WeightOverrides& sub, const InputMaps& in) {
  return [&w, layer, &sub, &in](LinearKind kind, const Matrix& x) {
    const auto it = sub.find(kind);
    const Matrix* weight = it == sub.end() ? nullptr : &it->second;
    if (const auto m = in.find(kind); m != in.end()) return linear_output(w.linear({layer, kind}), m->second(x), weight);
    return linear_output(w.linear({layer, kind}), x, weight);
  };
}
}  // namespace

Matrix attention_output(const model::ModelWeights& w, int layer, const Matrix& xb, int ctx, const WeightOverrides& sub,
                        const InputMaps& in) {
  const model::ModelConfig& c = w.config;
  if (ctx <= 0 || xb.rows() % ctx != 0) throw std::invalid_argument("attention_output: rows are not whole windows");
  const model::LinearFn lin = substituted(w, layer, sub, in);
  const model::AttendFn attend = [&c](Matrix& q, Matrix& k, Matrix& v) { return model::causal_attention(q, k, v, c, 0, {}); };
  Matrix out(xb.rows(), c.dim);
  parallel_items(0, static_cast<std::size_t>(xb.rows() / ctx), [&](std::size_t i) {  // windows are independent
    const Eigen::Index r0 = static_cast<Eigen::Index>(i) * ctx;
    out.middleRows(r0, ctx) = model::attention_block(c, xb.middleRows(r0, ctx), 0, lin, attend);
  });
  return out;
}

Matrix mlp_output(const model::ModelWeights& w, int layer, const Matrix& x, const WeightOverrides& sub,
                  const InputMaps& in) {
  return model::mlp_block(x, substituted(w, layer, sub, in));
}

Predecessor predecessor_of(LinearKind first) {
  switch (first) {
    case LinearKind::q: case LinearKind::k: case LinearKind::v: return Predecessor::rms_att;
    case LinearKind::gate: case LinearKind::up: return Predecessor::rms_ffn;
    case LinearKind::o: return Predecessor::v;
    case LinearKind::down: return Predecessor::up;
    default: throw std::invalid_argument("the classifier has no foldable predecessor");
  }
}

void fold_scales(model::ModelWeights& w, int layer, const std::vector<LinearKind>& layers, const Vector& s) {
  model::LayerWeights& L = w.layers.at(static_cast<std::size_t>(layer));
  for (LinearKind k : layers) {
    model::Linear& lin = w.linear({layer, k});
    if (lin.in() != s.size()) throw std::invalid_argument("fold_scales: scale length differs from the layer input");
    lin.weight.array().rowwise() *= s.transpose().array();
  }
  auto divide_rows = [&](model::Linear& prev) {
    // v feeds o through the attention mixing per head (GQA: o's input channel j reads v channel j of its
    // kv group); the fold is exact only when v's outputs are o's inputs one to one.
    if (prev.out() != s.size()) throw std::invalid_argument("fold_scales: predecessor width differs (GQA v -> o?)");
    prev.weight.array().colwise() /= s.array();
    if (prev.bias.size() > 0) prev.bias.array() /= s.array();
  };
  switch (predecessor_of(layers.front())) {
    case Predecessor::rms_att: L.rms_att.array() /= s.array(); break;
    case Predecessor::rms_ffn: L.rms_ffn.array() /= s.array(); break;
    case Predecessor::v: divide_rows(L.v); break;
    case Predecessor::up: divide_rows(L.up); break;
  }
}

}  // namespace mxlab::algorithms
