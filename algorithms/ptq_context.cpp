// The schemes a PTQ result is calibrated and deployed with, and the linears it quantizes.
#include "algorithms/ptq_context.hpp"

namespace mxlab::algorithms {

model::QuantScheme PtqContext::calibration_scheme() const {
  model::QuantScheme s = scheme;
  s.gemm = model::GemmMode::fakequant;
  s.linear.weight = {};
  for (auto& [name, q] : s.overrides) q.weight = {};
  return s;
}

model::QuantScheme PtqContext::deployed_scheme() const {
  return scheme.gemm == model::GemmMode::exact ? scheme : calibration_scheme();
}

model::Runtime PtqContext::deployed_runtime(std::shared_ptr<const model::ModelWeights> quantized) const {
  model::Runtime rt(quantized ? std::move(quantized) : weights, deployed_scheme());
  if (scheme.gemm == model::GemmMode::exact)
    for (const auto& [id, s] : scales) rt.set_weight_scales(id, s.bytes, s.tensor_scale);
  return rt;
}

std::vector<model::LinearId> PtqContext::quantized_linears() const {
  std::vector<model::LinearId> ids;
  for (const auto& id : weights->linear_ids())
    if (weight_format(id).enabled()) ids.push_back(id);
  return ids;
}

}  // namespace mxlab::algorithms
