// LLM-FP4: the real-valued-bias FP quantizer against the fp_group codec over every code, the per-channel bias
// search, the pre-shifted exponent bias folded bit for bit, and the FP4-variant MAC computing the folded layer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <set>

#include "algorithms/llm_fp4_preshift.hpp"
#include "algorithms/ptq.hpp"
#include "algorithms/layer_io.hpp"
#include "formats/format.hpp"
#include "formats/llmfp4.hpp"
#include "rtl/models/block_dot_model.hpp"
#include "tiny_model.hpp"

namespace mxlab::algorithms {
namespace {

using model::LinearKind;
using model::Matrix;
using model::Vector;

Matrix random_matrix(Eigen::Index r, Eigen::Index c, unsigned seed, float spread = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.f, 1.f);
  Matrix m(r, c);
  for (Eigen::Index j = 0; j < c; ++j)  // column j scaled by 2^(spread * j / c): channels of many magnitudes
    for (Eigen::Index i = 0; i < r; ++i) m(i, j) = n(rng) * std::exp2(spread * static_cast<float>(j) / static_cast<float>(c));
  return m;
}

// Every finite non-negative value of an all-finite FP element, ascending.
std::vector<double> magnitudes(Elem e) {
  std::set<double> v;
  for (std::uint32_t c = 0; c < (1u << elem_spec(e).bits); ++c)
    if (const double x = decode_elem(e, c); x >= 0) v.insert(x);
  return {v.begin(), v.end()};
}

TEST(LlmFp4Quantizer, ReferenceEqualsFpGroupCodecOverEveryCode) {
  for (int bits : {4, 6}) {
    for (const FpSplit& s : fp_splits(bits)) {
      const std::vector<double> mag = magnitudes(s.elem);
      EXPECT_EQ(mag.back(), llmfp4_maxval(s.ebits, s.mbits, elem_spec(s.elem).bias)) << elem_spec(s.elem).name;
      for (double b : {-3.0, 0.0, 1.0, 2.0, 5.0}) {  // integer biases: s a power of two, every x / s exact
        const float sc = llmfp4_scale(s.elem, b);
        for (std::size_t i = 0; i < mag.size(); ++i)
          for (double sign : {1.0, -1.0}) {
            const double x = sign * mag[i] * sc;  // a code, then the midpoint to the next code (ties to even)
            EXPECT_EQ(llmfp4_quantize(x, s.ebits, s.mbits, b), x);
            EXPECT_EQ(quantize_with_scale(s.elem, static_cast<float>(x), sc), static_cast<float>(x));
            const double mid = i + 1 < mag.size() ? sign * (mag[i] + mag[i + 1]) / 2 * sc : sign * 2 * mag[i] * sc;
            const double ref = llmfp4_quantize(mid, s.ebits, s.mbits, b);
            EXPECT_EQ(quantize_with_scale(s.elem, static_cast<float>(mid), sc), static_cast<float>(ref))
                << elem_spec(s.elem).name << " b=" << b << " x=" << mid;
          }
      }
      std::mt19937 rng(5);
      std::uniform_real_distribution<double> u(-3, 3);
      for (double b : {0.37, 1.71, -2.45}) {  // real biases: random values away from ties
        const float sc = llmfp4_scale(s.elem, b);
        const double beff = elem_spec(s.elem).bias - std::log2(double(sc));  // the bias the FP32 scale stands for
        for (int i = 0; i < 2000; ++i) {
          const auto x = static_cast<float>(std::exp2(u(rng) * 3) * sc * (i % 2 ? 1 : -1));
          const double ref = llmfp4_quantize(x, s.ebits, s.mbits, beff);
          const double step = std::exp2(std::max(std::floor(std::log2(std::fabs(double(x))) + beff), 1.0) - s.mbits - beff);
          const double frac = std::fabs(double(x)) / step - std::floor(std::fabs(double(x)) / step);
          if (std::fabs(frac - 0.5) < 1e-4 || std::fabs(double(x)) > 0.999 * llmfp4_maxval(s.ebits, s.mbits, beff)) continue;
          EXPECT_NEAR(quantize_with_scale(s.elem, x, sc), ref, 1e-6 * std::fabs(ref)) << elem_spec(s.elem).name << " x=" << x;
        }
      }
    }
  }
}

TEST(LlmFp4Search, RowBiasesMinimizeTheLayerOutputErrorOverTheGrid) {
  const Matrix x = random_matrix(256, 48, 1, 6.0f), w = random_matrix(12, 48, 2);
  Matrix xq = x;
  model::quantize_rows(model::TensorQuant::parse("mxint8"), xq);
  const RowErrorModel m(x, xq, w);
  const BiasGrid grid{0.01, 1.2, 31};
  for (const FpSplit& s : fp_splits(4)) {
    const RowBiasSearch best = search_row_biases(w, s, m, grid);
    const Matrix q = quantize_with_row_scales(w, s.elem, best.scales);
    const Eigen::VectorXd direct = (xq * q.transpose() - x * w.transpose()).cast<double>().cwiseAbs2().colwise().sum().transpose();
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
      EXPECT_NEAR(best.error(r), direct(r), 1e-3 * direct(r));  // the quadratic form is the output error
      const double b0 = initial_bias(s.ebits, s.mbits, w.row(r).cwiseAbs().maxCoeff());
      for (int k = 0; k < grid.n; ++k) {  // no grid candidate does better for this row
        std::vector<float> one = best.scales;
        one[static_cast<std::size_t>(r)] = llmfp4_scale(s.elem, b0 * grid.at(k));
        EXPECT_GE(m.errors(quantize_with_row_scales(w, s.elem, one))(r), best.error(r));
      }
    }
  }
}

// Layer 0 of a tiny model, q/k/v (attention norm) or gate/up (FFN norm): the unfolded layer (per-channel biases
// t + rho_c on the activations) and the folded one (2^rho in the norm, 2^-rho in the weight columns, one tensor
// bias) give the same outputs bit for bit.
TEST(LlmFp4Preshift, FoldedModelEqualsUnfoldedBitForBit) {
  for (const char* act : {"fp4_e2m1", "fp4_e3m0", "fp8_e4m3"}) {
    const FpSplit as = fp_split_of(find_format(act).id), ws = fp_split_of(Format::fp4_e2m1);
    auto w = std::make_shared<model::ModelWeights>(*test::tiny_model());
    const Matrix h = random_matrix(96, w->config.dim, 3, 10.0f);  // channel magnitudes over 2^10
    for (const std::vector<LinearKind>& kinds : {std::vector<LinearKind>{LinearKind::q, LinearKind::k, LinearKind::v},
                                                 std::vector<LinearKind>{LinearKind::gate, LinearKind::up}}) {
      const bool att = kinds.front() == LinearKind::q;
      const model::Vector& gain = att ? w->layers[0].rms_att : w->layers[0].rms_ffn;
      const Matrix x = model::rms_norm(h, gain, w->config.norm_eps);
      std::map<LinearKind, Matrix> wq;
      std::vector<Matrix> ws_in;
      for (LinearKind k : kinds) ws_in.push_back(w->linear({0, k}).weight);
      const GroupFp4Calibration c = calibrate_group(x, ws_in, {ws}, as, true, 1, {0.01, 1.2, 11});
      const ActPreshift p = c.acts;  // one shift per input channel, shared by the linears of the input
      for (std::size_t i = 0; i < kinds.size(); ++i)
        wq[kinds[i]] = quantize_with_row_scales(ws_in[i], ws.elem, c.weights[i].scales);
      const std::set<int> distinct(p.rho.begin(), p.rho.end());
      EXPECT_GE(distinct.size(), 2u) << act;
      EXPECT_GE(*distinct.begin(), 0);
      EXPECT_LE(*distinct.rbegin(), (1 << as.ebits) - 1);
      const Matrix xq = quantize_act_per_channel(x, as, p);
      for (LinearKind k : kinds) w->linear({0, k}).weight = wq[k];
      fold_preshift(*w, 0, kinds, p);
      const Matrix xf = model::rms_norm(h, att ? w->layers[0].rms_att : w->layers[0].rms_ffn, w->config.norm_eps);
      const Matrix xfq = quantize_act_per_tensor(xf, as, p.t);
      for (Eigen::Index c = 0; c < x.cols(); ++c) {  // operand by operand: the folded ones are 2^+-rho times the others
        const int r = p.rho[static_cast<std::size_t>(c)];
        for (Eigen::Index t = 0; t < x.rows(); ++t) ASSERT_EQ(std::ldexp(xfq(t, c), -r), xq(t, c)) << act << " " << t << "," << c;
        for (LinearKind k : kinds)
          for (Eigen::Index o = 0; o < wq[k].rows(); ++o) ASSERT_EQ(std::ldexp(wq[k](o, c), -r), w->linear({0, k}).weight(o, c));
      }
      for (LinearKind k : kinds) {  // the same GEMM (Eigen picks its kernel by shape and evaluation context)
        const Matrix unfolded = xq * wq[k].transpose();
        const Matrix folded = xfq * w->linear({0, k}).weight.transpose();
        ASSERT_EQ(folded.size(), unfolded.size());
        EXPECT_EQ(std::memcmp(folded.data(), unfolded.data(), sizeof(float) * folded.size()), 0)
            << act << " " << model::kind_name(k) << ": max diff " << (folded - unfolded).cwiseAbs().maxCoeff();
      }
    }
  }
}

// The fp4v_mac unit (rtl/units.json: FP4 variants x E4M3, the per-channel bias adjustment on the A scale) given the
// folded layer's codes, channels grouped by their shift rho into blocks with A scale 2^-rho (E8M0 127 - rho),
// accumulates exactly sum_c w_c 2^-rho_c x_c; times the row and tensor scales that is the folded layer's output.
TEST(LlmFp4Preshift, Fp4vMacModelComputesTheFoldedLayerExactly) {
  const FpSplit as = fp_split_of(Format::fp8_e4m3);
  const Matrix x = random_matrix(64, 80, 4, 4.0f), w = random_matrix(6, 80, 5);
  for (const FpSplit& ws : fp_splits(4)) {
    const GroupFp4Calibration g = calibrate_group(x, {w}, {ws}, as, true, 1, {0.01, 1.2, 11});
    const struct { RowBiasSearch weights; ActPreshift acts; } c{g.weights[0], g.acts};
    const Matrix wq = quantize_with_row_scales(w, ws.elem, c.weights.scales);
    Vector s(x.cols());
    for (Eigen::Index j = 0; j < s.size(); ++j) s(j) = std::ldexp(1.0f, c.acts.rho[static_cast<std::size_t>(j)]);
    const Matrix wf = wq.array().rowwise() / s.transpose().array();         // folded weight: columns times 2^-rho
    const Matrix xf = quantize_act_per_tensor(x.array().rowwise() * s.transpose().array(), as, c.acts.t);  // folded input
    const float st = llmfp4_scale(as.elem, c.acts.t);
    std::map<int, std::vector<Eigen::Index>> by_shift;
    for (Eigen::Index j = 0; j < x.cols(); ++j) by_shift[c.acts.rho[static_cast<std::size_t>(j)]].push_back(j);
    for (Eigen::Index t = 0; t < 4; ++t)
      for (Eigen::Index o = 0; o < w.rows(); ++o) {
        const float so = c.weights.scales[static_cast<std::size_t>(o)];
        rtl::BlockDotModel unit(ScaleType::e8m0, AccFormat{11, 52});
        long double exact = 0;  // exact: 4-bit x 4-bit significands over a span well under 64 bits
        long double layer = 0, magnitude = 0;
        bool first = true;
        for (const auto& [rho, cols] : by_shift)
          for (std::size_t b0 = 0; b0 < cols.size(); b0 += 32) {
            std::vector<std::uint8_t> a(32, 0), bcodes(32, 0);
            for (std::size_t i = b0; i < std::min(cols.size(), b0 + 32); ++i) {
              const Eigen::Index j = cols[i];
              a[i - b0] = static_cast<std::uint8_t>(encode_elem_ref(ws.elem, std::ldexp(static_cast<long double>(wf(o, j)), rho) / so, Round::even));
              bcodes[i - b0] = static_cast<std::uint8_t>(encode_elem_ref(as.elem, static_cast<long double>(xf(t, j)) / st, Round::even));
              // The codes are the folded operands: element * scale * 2^-rho, element * tensor scale.
              ASSERT_EQ(std::ldexp(static_cast<float>(decode_elem(ws.elem, a[i - b0])) * so, -rho), wf(o, j));
              ASSERT_EQ(static_cast<float>(decode_elem(as.elem, bcodes[i - b0])) * st, xf(t, j));
              exact += std::ldexp(decode_elem(ws.elem, a[i - b0]), -rho) * decode_elem(as.elem, bcodes[i - b0]);
              layer += static_cast<long double>(wf(o, j)) * xf(t, j);
              magnitude += std::fabs(static_cast<long double>(wf(o, j)) * xf(t, j));
            }
            rtl::BlockPair pair{ws.elem, as.elem, static_cast<std::uint64_t>(127 - rho), 127, first, a, bcodes, std::nullopt};
            unit.step(pair);
            first = false;
          }
        const double acc = unit.format().to_double(unit.acc());
        EXPECT_EQ(static_cast<long double>(acc), exact) << elem_spec(ws.elem).name << " row " << o;
        // The float layer multiplies dequantized operands, each rounded once to float32 (fl32(code * scale)).
        EXPECT_NEAR(static_cast<double>(acc) * so * st, static_cast<double>(layer), 2.5e-7 * static_cast<double>(magnitude));
      }
  }
}

TEST(LlmFp4Step, QuantizesPerChannelAndRecordsScalesThatReproduceTheWeights) {
  PtqContext ctx;
  ctx.weights = std::make_shared<model::ModelWeights>(*test::tiny_model());
  ctx.calib = test::random_tokens(4 * 32, 3);
  ctx.ctx = 32;
  ctx.scheme.linear.weight = model::TensorQuant::parse("fp4_e2m1", model::kBlockRow);
  ctx.scheme.linear.input = model::TensorQuant::parse("fp8_e4m3", model::kBlockRow);
  run_pipeline("llmfp4:n=11:tokens=64", ctx);
  for (const auto& id : ctx.quantized_linears()) {
    const WeightScales& s = ctx.scales.at(id);
    const Matrix& q = ctx.weights->linear(id).weight;
    std::vector<float> scales(static_cast<std::size_t>(s.rows));
    std::memcpy(scales.data(), s.bytes.data(), s.bytes.size());
    EXPECT_EQ(quantize_with_row_scales(q, traits(*s.quant.format).elem, scales), q) << model::linear_name(id);  // lossless
    EXPECT_EQ(traits(*ctx.weight_format(id).format).family, Family::fp_group);
  }
  PtqContext bad = ctx;
  bad.scheme.linear.weight = model::TensorQuant::parse("fp4_e2m1");
  bad.scheme.overrides.clear();
  EXPECT_THROW(run_pipeline("llmfp4", bad), std::invalid_argument);
  bad.scheme.linear.weight = model::TensorQuant::parse("mxfp4_e2m1", model::kBlockRow);
  EXPECT_THROW(run_pipeline("llmfp4", bad), std::invalid_argument);
  EXPECT_THROW(make_algorithm("llmfp4:split=e5m2"), std::invalid_argument);
}

// acts=tensor through the pipeline step: layer 0's q/k/v as deployed (the RMSNorm with the shifts folded in, the
// input hook's static per-tensor scale, the per-row weights) equal the library's folded computation on the same
// calibration rows (calibrate_group, fold_preshift, quantize_act_per_tensor) bit for bit, and `--gemm exact` takes
// the static scale (every input value on its grid) and agrees with the float layer to rounding.
TEST(LlmFp4Step, StaticPerTensorDeploymentEqualsTheLibrarysFoldedLayerBitForBit) {
  const BiasGrid grid{0.01, 1.2, 11};
  for (const char* act : {"fp4_e2m1", "fp8_e4m3"}) {
    PtqContext ctx;
    const auto fp32 = test::tiny_model();
    ctx.weights = std::make_shared<model::ModelWeights>(*fp32);
    ctx.calib = test::random_tokens(4 * 32, 3);
    ctx.ctx = 32;
    ctx.scheme.linear.weight = model::TensorQuant::parse("fp4_e2m1", model::kBlockRow);
    ctx.scheme.linear.input = model::TensorQuant::parse(act, model::kBlockRow);
    run_pipeline("llmfp4:acts=tensor:rounds=2:n=11", ctx);
    for (const auto& id : ctx.quantized_linears()) EXPECT_GT(ctx.scheme.for_linear(id).input.static_scale, 0) << model::linear_name(id);

    // The library on the FP32 model's layer-0 inputs (all 128 calibration rows, as the step's tokens=4096 takes).
    model::Runtime ref(fp32, ctx.calibration_scheme());
    const Matrix x = record_inputs(ref, LayerInputs(ref, ctx.calib, ctx.ctx), {0, LinearKind::q});
    const std::vector<LinearKind> kinds{LinearKind::q, LinearKind::k, LinearKind::v};
    std::vector<Matrix> w;
    for (LinearKind k : kinds) w.push_back(fp32->linear({0, k}).weight);
    const FpSplit as = fp_split_of(find_format(act).id);
    const GroupFp4Calibration c = calibrate_group(x, w, fp_splits(4), as, true, 2, grid);
    model::ModelWeights folded = *fp32;
    fold_preshift(folded, 0, kinds, c.acts);
    ASSERT_TRUE(folded.layers[0].rms_att == ctx.weights->layers[0].rms_att) << act;
    EXPECT_GE(std::set<int>(c.acts.rho.begin(), c.acts.rho.end()).size(), 2u) << act;  // the shifts do something

    model::Runtime deployed = ctx.deployed_runtime();
    const Matrix h = random_matrix(40, fp32->config.dim, 7, 3.0f);
    const Matrix xin = model::rms_norm(h, folded.layers[0].rms_att, fp32->config.norm_eps);
    const Matrix xq = quantize_act_per_tensor(xin, as, c.acts.t);
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      const model::LinearId id{0, kinds[i]};
      EXPECT_EQ(ctx.scheme.for_linear(id).input.static_scale, llmfp4_scale(as.elem, c.acts.t));
      const Matrix wq = quantize_with_row_scales(folded.linear(id).weight, c.weights[i].split.elem, c.weights[i].scales);
      ASSERT_TRUE(wq == ctx.weights->linear(id).weight) << act << " " << model::linear_name(id);
      const Matrix want = xq * wq.transpose(), got = deployed.linear(id, xin);
      ASSERT_EQ(got.size(), want.size());
      EXPECT_EQ(std::memcmp(got.data(), want.data(), sizeof(float) * got.size()), 0) << act << " " << model::linear_name(id);
    }
    PtqContext exact = ctx;
    exact.scheme.gemm = model::GemmMode::exact;
    model::Runtime ex = exact.deployed_runtime();
    const Matrix a = deployed.forward(test::random_tokens(24, 9)), b = ex.forward(test::random_tokens(24, 9));
    EXPECT_LT((a - b).cwiseAbs().maxCoeff(), 1e-3f * (1 + a.cwiseAbs().maxCoeff())) << act;
  }
}

}  // namespace
}  // namespace mxlab::algorithms
