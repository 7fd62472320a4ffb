// PTQ sessions, runs and their result records.
#include "algorithms/ptq_run.hpp"

#include <chrono>
#include <cmath>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "algorithms/export.hpp"
#include "algorithms/parallel.hpp"
#include "model/eval_json.hpp"
#include "model/load_model.hpp"
#include "model/progress.hpp"
#include "model/text_corpus.hpp"

namespace mxlab::algorithms {

namespace {
const std::string kAllow = " (pass --allow-overlap to calibrate on evaluation text anyway)";
}  // namespace

PtqSession prepare_session(const PtqSessionOptions& opt, const PtqLog& log) {
  const bool check = !opt.calib.text.empty() && !opt.allow_overlap;
  const std::string calib_name = "--calib " + opt.calib.text.string();
  if (check) {
    const std::uint64_t h = text_hash(opt.calib.text);
    for (const auto& [name, file] : opt.eval_texts)
      if (text_hash(file) == h)
        throw std::invalid_argument(calib_name + " has the same content as the evaluation text '" + name + "' (" +
                                    file.string() + ")" + kAllow);
  }
  PtqSession s;
  s.fp32 = std::make_shared<const model::ModelWeights>(model::load_model(opt.model, opt.load));
  s.source = opt.model;
  const model::Tokenizer tok(opt.tokenizer);
  model::Runtime fp(s.fp32);
  CalibWindows calib = calibration_windows(fp, tok, opt.calib);
  s.calib = std::move(calib.tokens);
  s.ctx = calib.length;
  s.calib_offsets = std::move(calib.offsets);
  if (log)
    log("ptq: calibration " +
        (opt.calib.text.empty() ? std::string("on self-generated samples, ") : opt.calib.text.string() + ", random windows, ") +
        std::to_string(opt.calib.samples) + " x " + std::to_string(s.ctx) + " tokens, seed " + std::to_string(opt.calib.seed));
  for (const auto& [name, file] : opt.eval_texts) {
    EvalText t{name, model::load_eval_tokens(tok, file)};
    if (opt.eval_tokens && t.tokens.size() > opt.eval_tokens) t.tokens.resize(opt.eval_tokens);
    if (check)
      if (const std::ptrdiff_t k = first_overlapping_window(s.calib, s.ctx, t.tokens); k >= 0) {
        const std::size_t o = s.calib_offsets.at(static_cast<std::size_t>(k));
        throw std::invalid_argument(calib_name + ": calibration window " + std::to_string(k) + " (tokens " +
                                    std::to_string(o) + ".." + std::to_string(o + s.ctx - 1) + ") repeats " +
                                    std::to_string(std::min(kOverlapRun, s.ctx)) + " consecutive tokens of the evaluated " +
                                    std::to_string(t.tokens.size()) + " tokens of '" + name + "'" + kAllow);
      }
    s.texts.push_back(std::move(t));
  }
  return s;
}

namespace {

// run_ptq; `reread`: session.fp32 was dropped, the FP32 model is read again from session.source (streamed).
PtqRunResult run(const PtqSession& session, bool reread, std::string_view pipeline, const model::QuantScheme& scheme,
                 const PtqLog& log, const PtqExport* out) {
  const auto t0 = std::chrono::steady_clock::now();
  auto reread_fp32 = [&] { return model::load_model(session.source, model::LoadMode::streamed); };
  PtqContext ctx{std::make_shared<model::ModelWeights>(reread ? reread_fp32() : *session.fp32), session.calib,
                 session.ctx, scheme, log, {}};
  std::shared_ptr<StreamedExport> streamed;
  if (ctx.weights->streamed) {
    if (!out) throw std::invalid_argument("streamed PTQ writes the quantized model as it goes: it needs --out DIR");
    streamed = std::make_shared<StreamedExport>(ctx, *out);
    ctx.stream = streamed;
  }
  run_pipeline(pipeline, ctx);
  PtqRunResult r;
  r.pipeline = std::string(pipeline);
  r.scheme = scheme;
  r.deployed = ctx.deployed_scheme();
  r.weights = ctx.weights;
  r.calib_tokens = session.calib.size();
  for (const auto& id : ctx.quantized_linears()) {
    const WeightScales& s = ctx.scales.at(id);  // the quantizer step recorded every quantized linear
    const LinearRecord rec{id, s.quant, s.rows, s.cols, algorithms::weight_bits(s.quant, s.rows, s.cols)};
    r.weight_bits += rec.bits;
    r.weight_count += static_cast<std::uint64_t>(rec.rows * rec.cols);
    r.linears.push_back(rec);
  }
  r.scales = ctx.scales;
  r.layer_importance = ctx.layer_importance;
  if (streamed) {  // the head and metadata, then the quantized model as written, streamed, is what is evaluated
    model::QuantizedCheckpoint q = quantized_checkpoint(r);
    q.provenance.update(out->provenance);
    streamed->finish(ctx, q);
    ctx.stream.reset(), streamed.reset();
    ctx.weights.reset(), r.weights.reset();  // free the FP32 head copy before loading the written one
    r.weights = std::make_shared<model::ModelWeights>(model::load_model(out->path, model::LoadMode::streamed));
  } else if (out) {
    export_run(r, *out);
  }
  // The texts in parallel, each on its own runtimes; text i's quantized runtime starts at the forward-call count
  // (stochastic-rounding streams) one runtime evaluating the texts in order would have reached.
  const model::Runtime quant = ctx.deployed_runtime(r.weights);
  const std::shared_ptr<const model::ModelWeights> fp32 =
      reread && !session.texts.empty() ? std::make_shared<const model::ModelWeights>(reread_fp32()) : session.fp32;
  const std::size_t seq_len = static_cast<std::size_t>(quant.config().seq_len);
  std::vector<model::EvalResult> evals(session.texts.size());
  std::size_t windows = 0, done = 0;
  for (const EvalText& t : session.texts) windows += t.tokens.size() / seq_len;
  model::Progress bar("eval", windows);
  std::mutex mu;
  parallel_items(0, session.texts.size(), [&](std::size_t i) {
    model::Runtime q = quant, ref(fp32);
    for (std::size_t j = 0; j < i; ++j) skip_forward_calls(q, session.texts[j].tokens.size() / seq_len);  // its windows
    model::EvalOptions opt;
    opt.progress = [&](std::size_t w, std::size_t) {
      if (w == 0) return;
      const std::lock_guard<std::mutex> lock(mu);
      bar.set(++done);
    };
    evals[i] = model::evaluate(q, session.texts[i].tokens, opt, &ref);
  });
  for (std::size_t i = 0; i < evals.size(); ++i) r.evals.emplace_back(session.texts[i].name, evals[i]);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

PtqRunResult run_ptq(const PtqSession& session, std::string_view pipeline, const model::QuantScheme& scheme,
                     const PtqLog& log, const PtqExport* out) {
  return run(session, false, pipeline, scheme, log, out);
}

PtqRunResult run_ptq(PtqSession&& session, std::string_view pipeline, const model::QuantScheme& scheme,
                     const PtqLog& log, const PtqExport* out) {
  const bool reread = session.fp32 && session.fp32->streamed && !session.source.empty() && session.fp32.use_count() == 1;
  if (reread) session.fp32.reset();
  return run(session, reread, pipeline, scheme, log, out);
}

model::QuantizedCheckpoint quantized_checkpoint(const PtqRunResult& r) {
  model::QuantizedCheckpoint q;
  q.scheme = r.deployed;
  for (const auto& [id, s] : r.scales) q.linears[id] = {s.quant, s.block, s.tensor_scale, s.bytes};
  q.provenance = {{"algo", r.pipeline}, {"weights", r.scheme.linear.weight.describe()},
                  {"acts", r.scheme.linear.input.describe()}, {"calib_tokens", r.calib_tokens}};
  return q;
}

void to_json(nlohmann::json& j, const PtqRunResult& r) {
  j = {{"algo", r.pipeline},
       {"weights", r.scheme.linear.weight.describe()},
       {"acts", r.scheme.linear.input.describe()},
       {"gemm", model::gemm_mode_name(r.scheme.gemm)},
       {"acc", r.scheme.acc.name()},
       {"calib_tokens", r.calib_tokens},
       {"seconds", r.seconds},
       {"bits_per_weight", r.bits_per_weight()},
       {"weight_bits", r.weight_bits}};
  if (!r.layer_importance.empty()) j["layer_importance"] = r.layer_importance;
  nlohmann::json layers = nlohmann::json::array();
  for (const LinearRecord& l : r.linears)
    layers.push_back({{"name", model::linear_name(l.id)}, {"weights", l.weight.describe()}, {"rows", l.rows},
                      {"cols", l.cols}, {"bits", l.bits}, {"bits_per_weight", l.bits_per_weight()}});
  j["layers"] = std::move(layers);
  for (const auto& [name, e] : r.evals) j[name] = e;
}

std::string summary(const PtqRunResult& r) {
  std::ostringstream s;
  s.precision(5);
  for (const auto& [name, e] : r.evals)
    s << name << ": ppl " << e.ppl << " (fp32 " << std::exp(e.ref_nll) << "), kld_mean " << e.kld_mean << ", kld_p999 "
      << e.kld_p999 << ", top1_agree " << e.top1_agree << " over " << e.tokens << " tokens\n";
  s << "weights " << r.scheme.linear.weight.describe() << ": " << r.bits_per_weight() << " bits/weight (" << r.weight_bits
    << " bits, " << r.weight_count << " weights in " << r.linears.size() << " linears); acts "
    << r.scheme.linear.input.describe() << "; gemm " << model::gemm_mode_name(r.scheme.gemm) << ", acc " << r.scheme.acc.name()
    << "\n";
  const std::string base = r.scheme.linear.weight.describe();
  for (const LinearRecord& l : r.linears)
    if (l.weight.describe() != base)
      s << "  " << model::linear_name(l.id) << ": " << l.weight.describe() << ", " << l.bits_per_weight() << " bits/weight\n";
  return s.str();
}

}  // namespace mxlab::algorithms
