// One real stories260K layer through the Verilated block dot units: every block's accumulator and flags from the
// independent reference (the C++ model checked against it too), and each output's final accumulator equal to the
// runtime's `--gemm exact` output, streaming the layer's real quantized blocks (every output's K blocks in order).
#include <gtest/gtest.h>

#include <bit>

#include "formats/block_codecs.hpp"
#include "formats/packed.hpp"
#include "model/load_model.hpp"
#include "model/runtime.hpp"
#include "reference_check.hpp"
#include "rtl/cost/stimulus.hpp"
#include "rtl/models/units.hpp"
#include "rtl/verilator/vdriver.hpp"

#ifndef MXLAB_DATA_DIR
#define MXLAB_DATA_DIR "../shared/data"
#endif

namespace mxlab::rtl {
namespace {
using model::LinearId;
using model::LinearKind;
using model::Matrix;

// Captures the real inputs of some linear layers during an FP32 forward pass.
struct Capture : model::LinearObserver {
  std::map<LinearId, Matrix> inputs;
  void observe(LinearId id, const Matrix& x) override {
    if (!inputs.count(id)) inputs[id] = x;
  }
};

// The rows of m encoded as the runtime's exact GEMM quantizes them (an nvfp4 tensor scale: one for the matrix).
std::vector<PackedTensor> encode_rows(Format f, const Matrix& m, QuantConfig cfg) {
  if (cfg.tensor_scale)
    cfg.tensor_scale_value = codecs::nvfp4_tensor_scale({m.data(), static_cast<std::size_t>(m.size())});
  std::vector<PackedTensor> rows;
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    rows.push_back(encode_ref(f, {m.row(r).data(), static_cast<std::size_t>(m.cols())}, cfg));
  return rows;
}

// weights_on_a: the unit's A side takes the weights (W x A units such as int4x8_*), else the activations.
template <class V>
void layer_through_unit(const std::string& unit, const char* wf, const char* af, bool tensor_scale = false,
                        bool weights_on_a = false) {
  const auto weights = std::make_shared<model::ModelWeights>(model::load_model(std::string(MXLAB_DATA_DIR) + "/models/stories260K.bin"));
  Capture cap;
  model::Runtime fp32(weights);
  model::ForwardOptions o;
  o.observer = &cap;
  o.n_layers = 1;
  const std::vector<int> tokens{1, 403, 407, 261, 378, 1000 % 512, 284, 260, 317, 285, 1 + 310, 321};
  fp32.forward(tokens, o);
  model::QuantScheme s;
  s.linear.weight = model::TensorQuant::parse(wf);
  s.linear.input = model::TensorQuant::parse(af);
  s.linear.weight.cfg.tensor_scale = s.linear.input.cfg.tensor_scale = tensor_scale;
  s.gemm = model::GemmMode::exact;
  model::Runtime exact(weights, s);
  const UnitConfig& u = unit_config(unit);
  std::size_t outputs = 0;
  for (const LinearId id : {LinearId{0, LinearKind::q}, LinearId{0, LinearKind::down}}) {
    const Matrix& x = cap.inputs.at(id);
    const Matrix y = exact.linear(id, x);
    const auto act = encode_rows(*s.linear.input.format, x, s.linear.input.cfg),
               w = encode_rows(*s.linear.weight.format, weights->linear(id).weight, s.linear.weight.cfg);
    std::vector<BlockVector> v;
    std::size_t runtime_mismatches = 0;
    for (std::size_t t = 0; t < act.size(); ++t)
      for (std::size_t n = 0; n < w.size(); ++n) {
        // block pairs for output (token t, channel n): the encoding `mxlab cost` streams (rtl/cost/stimulus.hpp)
        const std::vector<BlockVector> pairs =
            weights_on_a ? cost::gemm_block_pairs(w[n], act[t], u.stim.n) : cost::gemm_block_pairs(act[t], w[n], u.stim.n);
        v.insert(v.end(), pairs.begin(), pairs.end());
      }
    const std::string what = std::string(af) + " x " + wf + " " + model::linear_name(id);
    const ReferenceRun ref = expect_from_reference(v, u.stim.scale, unit, what);
    EXPECT_EQ(ref.model.mismatches, 0u) << "C++ model vs reference";
    for (std::size_t i = 0, out = 0; i < v.size(); ++i)  // the last block of each output: the runtime's bits
      if (i + 1 == v.size() || v[i + 1].clear) {
        const std::size_t t = out / w.size(), n = out % w.size();
        runtime_mismatches += v[i].acc != std::bit_cast<std::uint32_t>(y(t, n));
        ++out;
      }
    EXPECT_EQ(runtime_mismatches, 0u) << "reference vs the runtime's --gemm exact";
    verilator::Dut<V> d;
    const verilator::CosimStats st = verilator::stream_blocks(d, v);
    std::printf("[layer cosim] %s %s: %zu outputs (%zu differ from the runtime), %zu block pairs, %zu RTL mismatches\n",
                unit.c_str(), what.c_str(), act.size() * w.size(), runtime_mismatches, st.checked, st.mismatches);
    EXPECT_EQ(st.mismatches, 0u);
    EXPECT_EQ(st.checked, v.size());
    outputs += act.size() * w.size();
  }
  EXPECT_EQ(outputs, tokens.size() * (64 + 64));
}

TEST(LayerCosim, Stories260kMxint8ActsMxint4Weights) { layer_through_unit<Vmxlab_mx_dot_any>("mx_dot_any", "mxint4", "mxint8"); }
TEST(LayerCosim, Stories260kMxfp8ActsMxfp4Weights) {
  layer_through_unit<Vmxlab_mx_dot_any>("mx_dot_any", "mxfp4_e2m1", "mxfp8_e4m3");
}
TEST(LayerCosim, Stories260kNvfp4) { layer_through_unit<Vmxlab_nvfp4_dot>("nvfp4_dot", "nvfp4", "nvfp4"); }
// NVFP4 with per-row tensor scales on both sides: the unit's epilogue RNE(acc * fl32(g_a g_w)) is the runtime's output.
TEST(LayerCosim, Stories260kNvfp4TensorScale) {
  layer_through_unit<Vmxlab_nvfp4_ts_dot>("nvfp4_ts_dot", "nvfp4", "nvfp4", true);
}
TEST(LayerCosim, Stories260kInt8ActsInt4Weights) {
  layer_through_unit<Vmxlab_int4x8_group_dot>("int4x8_group_dot", "int4", "int8", false, true);
}
TEST(LayerCosim, Stories260kAsymInt8ActsInt4Weights) {
  layer_through_unit<Vmxlab_int4x8_asym_dot>("int4x8_asym_dot", "int4_asym", "int8_asym", false, true);
}

}  // namespace
}  // namespace mxlab::rtl
