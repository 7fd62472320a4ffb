// The PTQ registry, pipeline parser and runner.
#include "algorithms/ptq.hpp"

#include <stdexcept>

#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

struct Entry {
  const char* name;
  int stage;  // 0 = transform (applied in this order), 1 = weight quantizer (last, exactly one)
  std::unique_ptr<PtqAlgorithm> (*make)(const StepParams&);
};
const Entry kRegistry[] = {
    {"lsaq", 0, make_lsaq},
    {"smoothquant", 0, make_smoothquant},
    {"awq", 0, make_awq},
    {"rtn", 1, make_rtn},
    {"gptq", 1, make_gptq},
    {"gptvq", 1, make_gptvq},
    {"llmfp4", 1, make_llm_fp4},
    {"aweq", 1, make_aweq},
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

std::vector<std::string> algorithm_names() {
  std::vector<std::string> v;
  for (const auto& e : kRegistry) v.emplace_back(e.name);
  return v;
}

std::unique_ptr<PtqAlgorithm> make_algorithm(std::string_view step) {
  const StepParams p = StepParams::parse(step);
  return find(p.name()).make(p);
}

std::vector<std::unique_ptr<PtqAlgorithm>> parse_pipeline(std::string_view spec) {
  std::vector<std::unique_ptr<PtqAlgorithm>> steps;
  const Entry* last = nullptr;
  bool quantized = false;
  std::size_t start = 0;
  while (start <= spec.size()) {
    const std::size_t plus = std::min(spec.find('+', start), spec.size());
    const StepParams params = StepParams::parse(spec.substr(start, plus - start));
    const Entry& e = find(params.name());
    if (quantized)
      throw std::invalid_argument("pipeline '" + std::string(spec) + "': nothing may follow the quantizer (" +
                                  std::string(last->name) + ")");
    if (last && e.stage == 0 && &e <= last)
      throw std::invalid_argument("pipeline '" + std::string(spec) + "': '" + e.name + "' must come before '" +
                                  last->name + "' (order: " + names() + ")");
    steps.push_back(e.make(params));
    quantized = e.stage == 1;
    last = &e;
    start = plus + 1;
  }
  if (!quantized) steps.push_back(make_rtn({}));
  return steps;
}

void require_streaming(std::string_view spec) {
  for (const auto& step : parse_pipeline(spec))
    if (!step->streams())
      throw std::invalid_argument("streamed PTQ (--stream on) runs rtn, gptq and gptvq; '" + std::string(step->name()) +
                                  "' needs the whole model resident (use --stream off)");
}

void run_pipeline(std::string_view spec, PtqContext& ctx) {
  if (!ctx.weights) throw std::invalid_argument("PTQ needs a model");
  if (ctx.quantized_linears().empty()) throw std::invalid_argument("PTQ needs a weight format (--weights)");
  const auto steps = parse_pipeline(spec);
  if (ctx.stream) require_streaming(spec);
  for (const auto& step : steps) {
    std::string line = "[";
    line.append(step->name()).append("]");
    ctx.say(line);
    step->run(ctx);
  }
}

}  // namespace mxlab::algorithms
