// EvalResult as JSON (keys in eval_json.hpp).
#include "model/eval_json.hpp"

#include <cmath>

namespace mxlab::model {

void to_json(nlohmann::json& j, const EvalResult& r) {
  j = {{"ctx", r.ctx}, {"windows", r.windows}, {"tokens", r.tokens}, {"nll", r.nll}, {"ppl", r.ppl}};
  if (!r.compared) return;
  j["fp32_nll"] = r.ref_nll;
  j["fp32_ppl"] = std::exp(r.ref_nll);
  j["kld_mean"] = r.kld_mean;
  j["kld_median"] = r.kld_median;
  j["kld_p999"] = r.kld_p999;
  j["kld_max"] = r.kld_max;
  j["top1_agree"] = r.top1_agree;
}

}  // namespace mxlab::model
