// A sweep point's name, quantization scheme and record; the [hardware] table's record; the bundled specs.
#include "experiments/sweep_spec.hpp"

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

model::QuantScheme SweepPoint::scheme() const {
  return model::linear_scheme({.weights = weights, .acts = acts, .block = block, .act_block = act_block, .round = round,
                               .quantize_classifier = quantize_classifier, .gemm = gemm, .acc = acc,
                               .tensor_scale = tensor_scale});
}

nlohmann::json SweepPoint::to_json() const {
  return {{"weights", weights}, {"acts", acts},         {"pipeline", pipeline},         {"block", block},
          {"act_block", act_block}, {"gemm", gemm},     {"acc", acc},                   {"round", round},
          {"tensor_scale", tensor_scale}, {"quantize_classifier", quantize_classifier}};
}

#ifndef MXLAB_SOURCE_DIR
#define MXLAB_SOURCE_DIR "."
#endif

std::filesystem::path bundled_spec(const std::string& stem) {
  return std::filesystem::path(MXLAB_SOURCE_DIR) / "experiments/specs" / (stem + ".toml");
}

nlohmann::json HardwareSpec::to_json() const {
  if (!present) return nullptr;
  nlohmann::json j = {{"liberty", liberty.string()}, {"corner", corner},       {"clock_mhz", clock_mhz}, {"array_rows", array_rows},
          {"array_cols", array_cols},    {"sram_kib", sram_kib},   {"dram_gbps", dram_gbps}};
  if (cost)  // only when enabled: specs without the cost stage keep the identity their stored points have
    j["cost"] = {{"units", units}, {"vectors", vectors}, {"random_operands", random_operands}};
  if (!accelerator.empty())
    j["accelerator"] = {{"arch", accelerator.string()}, {"shape", accel_shape}, {"phase", accel_phase},
                        {"seq", accel_seq}, {"batch", accel_batch}};
  return j;
}

}  // namespace mxlab::experiments
