// The PTQ + evaluation stage of a sweep point; the stage list a spec asks for.
#include "experiments/point_stage.hpp"

#include <cmath>
#include <limits>

#include "experiments/accel_stage.hpp"
#include "experiments/cost_stage.hpp"
#include "experiments/layer_errors.hpp"

namespace mxlab::experiments {

double PointRecord::metric(const std::string& key) const {
  const auto it = metrics.find(key);
  return it == metrics.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

void PtqEvalStage::run(const StageContext& ctx, PointRecord& rec) const {
  const algorithms::PtqRunResult r = algorithms::run_ptq(ctx.session, ctx.point.pipeline, ctx.point.scheme(), ctx.log);
  rec.metrics["bits_per_weight"] = r.bits_per_weight();
  rec.metrics["weight_bits"] = static_cast<double>(r.weight_bits);
  rec.metrics["weight_count"] = static_cast<double>(r.weight_count);
  rec.metrics["calib_tokens"] = static_cast<double>(r.calib_tokens);
  rec.metrics["ptq_seconds"] = r.seconds;
  for (const auto& [text, e] : r.evals) {
    const std::string p = text + ".";
    rec.metrics[p + "ppl"] = e.ppl;
    rec.metrics[p + "nll"] = e.nll;
    rec.metrics[p + "ref_ppl"] = std::exp(e.ref_nll);
    rec.metrics[p + "kld_mean"] = e.kld_mean;
    rec.metrics[p + "kld_median"] = e.kld_median;
    rec.metrics[p + "kld_p999"] = e.kld_p999;
    rec.metrics[p + "kld_max"] = e.kld_max;
    rec.metrics[p + "top1"] = e.top1_agree;
    rec.metrics[p + "tokens"] = static_cast<double>(e.tokens);
  }
  LayerTable& t = rec.layers;
  for (const algorithms::LinearRecord& l : r.linears) {
    t.names.push_back(model::linear_name(l.id));
    t.text["weights"].push_back(l.weight.describe());
    t.numbers["rows"].push_back(static_cast<double>(l.rows));
    t.numbers["cols"].push_back(static_cast<double>(l.cols));
    t.numbers["bits"].push_back(static_cast<double>(l.bits));
    t.numbers["bits_per_weight"].push_back(l.bits_per_weight());
  }
  rec.blocks = block_table(ctx.session, r);
}

std::vector<std::unique_ptr<PointStage>> make_stages(const SweepSpec& spec) {
  std::vector<std::unique_ptr<PointStage>> stages;
  stages.push_back(std::make_unique<PtqEvalStage>());
  if (spec.hardware.cost) stages.push_back(std::make_unique<CostStage>());
  if (!spec.hardware.accelerator.empty()) stages.push_back(std::make_unique<AccelStage>());
  return stages;
}

}  // namespace mxlab::experiments
