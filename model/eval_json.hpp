// The one JSON form of an evaluation result (`mxlab eval --json`, `mxlab ptq --json`, ptq-table, sweeps).
#pragma once
#include <nlohmann/json.hpp>

#include "model/eval.hpp"

namespace mxlab::model {

// Keys: ctx, windows, tokens, nll, ppl; against a reference also fp32_nll, fp32_ppl, kld_mean, kld_median,
// kld_p999, kld_max, top1_agree. Found by ADL: `nlohmann::json j = result;`.
void to_json(nlohmann::json& j, const EvalResult& r);

}  // namespace mxlab::model
