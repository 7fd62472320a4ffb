// The PTQ registry and pipeline runner.
#include "algorithms/ptq.hpp"

#include <stdexcept>

#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

struct Entry {
  const char* name;
  int stage;  // 0 = transform (applied in this order), 1 = weight quantizer (last, exactly one)
  std::unique_ptr<PtqAlgorithm> (*make)();
};
const Entry kRegistry[] = {
    {"smoothquant", 0, make_smoothquant},
    {"awq", 0, make_awq},
    {"rtn", 1, make_rtn},
    {"gptq", 1, make_gptq},
};

std::string names() {
  std::string s;
  for (const auto& e : kRegistry) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}
const Entry& find(std::string_view name) {
  for (const auto& e : kRegistry)
    if (name == e.name) return e;
  throw std::invalid_argument("unknown PTQ algorithm '" + std::string(name) + "' (known: " + names() + ")");
}

}  // namespace

model::QuantScheme PtqContext::deployed_scheme() const {
  model::QuantScheme s;
  s.linear.input = cfg.acts;
  s.quantize_classifier = cfg.quantize_classifier;
  return s;
}

std::vector<model::LinearId> PtqContext::quantized_linears() const {
  std::vector<model::LinearId> ids;
  for (const auto& id : weights->linear_ids())
    if (id.kind != model::LinearKind::classifier || cfg.quantize_classifier) ids.push_back(id);
  return ids;
}

std::vector<std::string> algorithm_names() {
  std::vector<std::string> v;
  for (const auto& e : kRegistry) v.emplace_back(e.name);
  return v;
}

std::unique_ptr<PtqAlgorithm> make_algorithm(std::string_view name) { return find(name).make(); }

std::vector<std::unique_ptr<PtqAlgorithm>> parse_pipeline(std::string_view spec) {
  std::vector<std::unique_ptr<PtqAlgorithm>> steps;
  const Entry* last = nullptr;
  bool quantized = false;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t plus = std::min(spec.find('+', start), spec.size());
    const Entry& e = find(spec.substr(start, plus - start));
    if (quantized)
      throw std::invalid_argument("pipeline '" + std::string(spec) + "': nothing may follow the quantizer (" +
                                  std::string(last->name) + ")");
    if (last && e.stage == 0 && &e <= last)
      throw std::invalid_argument("pipeline '" + std::string(spec) + "': '" + e.name + "' must come before '" +
                                  last->name + "' (order: " + names() + ")");
    steps.push_back(e.make());
    quantized = e.stage == 1;
    last = &e;
    start = plus + 1;
  }
  if (!quantized) steps.push_back(make_rtn());
  return steps;
}

void run_pipeline(std::string_view spec, PtqContext& ctx) {
  if (!ctx.cfg.weights.enabled()) throw std::invalid_argument("PTQ needs a weight format (--weights)");
  if (!ctx.weights) throw std::invalid_argument("PTQ needs a model");
  for (const auto& step : parse_pipeline(spec)) {
    std::string line = "[";
    line.append(step->name()).append("]");
    ctx.say(line);
    step->run(ctx);
  }
}

}  // namespace mxlab::algorithms
