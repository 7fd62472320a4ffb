// A sweep point's name, quantization scheme and record; the [hardware] table's record.
#include "experiments/sweep_spec.hpp"

#include "formats/rounding.hpp"

namespace mxlab::experiments {

std::string SweepPoint::name() const {
  std::string n = weights + "__" + acts + "__" + pipeline;
  if (block != "0") n += "__block=" + block;
  if (act_block != "0") n += "__act_block=" + act_block;
  if (gemm != "fakequant") n += "__gemm=" + gemm;
  if (acc != "fp32") n += "__acc=" + acc;
  if (round != "even") n += "__round=" + round;
  if (tensor_scale) n += "__tensor_scale";
  if (quantize_classifier) n += "__classifier";
  for (char& c : n)
    if (c == '/' || c == ' ') c = '_';
  return n;
}

// The same scheme `mxlab ptq` builds from its options (apps/cmd_ptq.cpp scheme() and apply_gemm()).
model::QuantScheme SweepPoint::scheme() const {
  using namespace mxlab::model;
  QuantScheme s;
  s.linear.weight = TensorQuant::parse(weights, parse_block(block));
  s.linear.input = TensorQuant::parse(acts, parse_block(act_block));
  s.linear.weight.cfg.round = s.linear.input.cfg.round = parse_round(round);
  s.quantize_classifier = quantize_classifier;
  s.gemm = parse_gemm_mode(gemm);
  s.acc = AccFormat::parse(acc);
  if (s.gemm == GemmMode::exact && !(s.linear.weight.enabled() && s.linear.input.enabled()))
    throw std::invalid_argument("gemm = \"exact\" needs both a weight format and an activation format (acts)");
  if (tensor_scale) {
    bool any = false;
    for (TensorQuant* q : {&s.linear.weight, &s.linear.input})
      if (q->format == Format::nvfp4) q->cfg.tensor_scale = any = true;
    if (!any) throw std::invalid_argument("tensor_scale applies to nvfp4 only, and neither weights nor acts is nvfp4");
  }
  return s;
}

nlohmann::json SweepPoint::to_json() const {
  return {{"weights", weights}, {"acts", acts},         {"pipeline", pipeline},         {"block", block},
          {"act_block", act_block}, {"gemm", gemm},     {"acc", acc},                   {"round", round},
          {"tensor_scale", tensor_scale}, {"quantize_classifier", quantize_classifier}};
}

nlohmann::json HardwareSpec::to_json() const {
  if (!present) return nullptr;
  nlohmann::json j = {{"liberty", liberty.string()}, {"corner", corner},       {"clock_mhz", clock_mhz}, {"array_rows", array_rows},
          {"array_cols", array_cols},    {"sram_kib", sram_kib},   {"dram_gbps", dram_gbps}};
  if (cost)  // only when enabled: specs without the cost stage keep the identity their stored points have
    j["cost"] = {{"units", units}, {"vectors", vectors}, {"random_operands", random_operands}};
  return j;
}

}  // namespace mxlab::experiments
