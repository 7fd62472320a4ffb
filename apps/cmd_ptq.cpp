// `mxlab ptq` (one pipeline, evaluated against FP32) and `mxlab ptq-table` (formats x pipelines, W-only and
// with 8-bit activations, as a Markdown table): the algorithms/ library from the command line.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "algorithms/calibration_data.hpp"
#include "algorithms/ptq.hpp"
#include "apps/commands.hpp"
#include "apps/model_args.hpp"
#include "apps/tensor_io.hpp"
#include "model/eval.hpp"
#include "model/hf_format.hpp"
#include "model/text_corpus.hpp"

namespace mxlab::cli {
namespace {

namespace fs = std::filesystem;
using namespace mxlab::model;
using namespace mxlab::algorithms;

struct PtqArgs {
  ModelArgs paths;
  std::string algo = "rtn", weights, acts = "none", round = "even", calib, out;
  int block = 0, act_block = 0, calib_samples = 16, calib_len = 256;
  std::size_t eval_tokens = 32768;
  std::uint64_t seed = 1234;
  double alpha = 0.5;
  bool alpha_search = false, act_order = false, static_groups = false, classifier = false, no_clip = false, json = false;
};

struct EvalText {
  std::string name;
  std::vector<int> tokens;
};

// The shared inputs of every run: the FP32 model, the calibration stream and the evaluation texts.
struct Session {
  std::shared_ptr<const ModelWeights> fp32;
  std::vector<int> calib;
  int ctx = 0;  // calibration window
  std::vector<EvalText> texts;
};

Session prepare(const PtqArgs& a) {
  Session s;
  s.fp32 = load(a.paths);
  const Tokenizer tok = tokenizer(a.paths);
  Runtime fp(s.fp32);
  CalibOptions c{a.calib.empty() ? fs::path() : resolve(a.calib, "", a.paths.data_dir), a.calib_samples, a.calib_len, a.seed};
  s.calib = calibration_tokens(fp, tok, c);
  std::cerr << "ptq: calibration " << (c.text.empty() ? "self-generated samples" : c.text.string()) << ", "
            << c.samples << " x " << c.length << " tokens\n";
  s.ctx = c.length;
  for (const auto& [name, file] : {std::pair{"tinystories", "text/tinystories-valid-dev.txt"},
                                   std::pair{"wikitext2", "text/wikitext2-test.raw"}}) {
    EvalText t{name, load_eval_tokens(tok, resolve("", file, a.paths.data_dir))};
    if (a.eval_tokens && t.tokens.size() > a.eval_tokens) t.tokens.resize(a.eval_tokens);
    s.texts.push_back(std::move(t));
  }
  return s;
}

PtqConfig config(const PtqArgs& a) {
  PtqConfig c;
  c.weights = TensorQuant::parse(a.weights, a.block);
  c.acts = TensorQuant::parse(a.acts, a.act_block);
  c.weights.cfg.round = c.acts.cfg.round = parse_round(a.round);
  c.quantize_classifier = a.classifier;
  c.sq_alpha = a.alpha;
  c.sq_search = a.alpha_search;
  c.awq_clip = !a.no_clip;
  c.gptq.act_order = a.act_order;
  c.gptq.static_groups = a.static_groups;
  return c;
}

struct RunResult {
  std::shared_ptr<ModelWeights> weights;
  std::vector<std::pair<std::string, EvalResult>> evals;
  double seconds = 0;
};

// The nearest existing ancestor of `path` must be a directory we can create files in (probed with a file,
// since access() says yes to root even on read-only filesystems); save_hf creates the rest.
void check_writable(const fs::path& path) {
  fs::path p = fs::absolute(path);
  if (p.extension() == ".safetensors" || p.extension() == ".md") p = p.parent_path();
  while (!fs::exists(p) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
  const fs::path probe = p / (".mxlab_probe_" + std::to_string(::getpid()));
  std::error_code ec;
  const bool ok = fs::is_directory(p) && std::ofstream(probe).good();
  fs::remove(probe, ec);
  if (!ok) throw std::runtime_error(path.string() + ": cannot write there (" + p.string() + " is not a writable directory)");
}

RunResult run_one(const Session& s, const std::string& pipeline, const PtqConfig& cfg, bool verbose) {
  const auto t0 = std::chrono::steady_clock::now();
  PtqContext ctx{std::make_shared<ModelWeights>(*s.fp32), s.calib, s.ctx, cfg, {}};
  if (verbose) ctx.log = [](const std::string& line) { std::cerr << line << "\n"; };
  run_pipeline(pipeline, ctx);
  RunResult r{ctx.weights, {}, 0};
  Runtime quant(ctx.weights, ctx.deployed_scheme()), ref(s.fp32);
  for (const EvalText& t : s.texts) r.evals.emplace_back(t.name, evaluate(quant, t.tokens, {}, &ref));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

nlohmann::json to_json(const EvalResult& e) {
  return {{"ppl", e.ppl}, {"nll", e.nll}, {"tokens", e.tokens}, {"ref_ppl", std::exp(e.ref_nll)},
          {"kld_mean", e.kld_mean}, {"kld_p999", e.kld_p999}, {"top1_agree", e.top1_agree}};
}

void add_options(CLI::App* cmd, PtqArgs& a) {
  add_paths(cmd, a.paths, true, false);
  cmd->add_option("--acts", a.acts, "Activation format of every linear input (none = weight-only)")->capture_default_str();
  cmd->add_option("--round", a.round, "Rounding of weights and activations")->capture_default_str();
  cmd->add_option("--act-block", a.act_block, "Activation block size (0 = the format's default)");
  cmd->add_option("--calib", a.calib, "Calibration text file (default: samples the FP32 model generates)");
  cmd->add_option("--calib-samples", a.calib_samples, "Calibration windows")->capture_default_str();
  cmd->add_option("--calib-len", a.calib_len, "Tokens per calibration window")->capture_default_str();
  cmd->add_option("--seed", a.seed, "Seed of the generated calibration samples")->capture_default_str();
  cmd->add_option("--alpha", a.alpha, "SmoothQuant migration strength")->capture_default_str();
  cmd->add_flag("--alpha-search", a.alpha_search, "SmoothQuant: pick alpha in {0, .1, .., 1} by calibration KL");
  cmd->add_flag("--no-clip", a.no_clip, "AWQ: skip the weight-clipping search");
  cmd->add_flag("--act-order", a.act_order, "GPTQ: columns in order of decreasing Hessian diagonal");
  cmd->add_flag("--static-groups", a.static_groups, "GPTQ: group scales from the unquantized weights");
  cmd->add_flag("--quantize-classifier", a.classifier, "Also quantize the classifier");
  cmd->add_option("--eval-tokens", a.eval_tokens, "Tokens of each evaluation text (0 = all)")->capture_default_str();
}

void add_ptq(CLI::App& app) {
  auto a = std::make_shared<PtqArgs>();
  auto* cmd = app.add_subcommand("ptq", "Quantize a model with a PTQ pipeline and evaluate it against FP32");
  add_options(cmd, *a);
  cmd->add_option("--algo", a->algo, "Pipeline, e.g. rtn | gptq | smoothquant+awq+gptq")->capture_default_str();
  cmd->add_option("--weights", a->weights, "Weight format (see `mxlab formats`)")->required();
  cmd->add_option("--block", a->block, "Weight block/group size (0 = the format's default)");
  cmd->add_option("--out", a->out, "Write the quantized model: X.safetensors (config.json beside it) or an HF directory");
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([a] {
    const PtqConfig cfg = config(*a);
    parse_pipeline(a->algo);  // reject a bad pipeline or destination before the expensive work
    if (!a->out.empty()) check_writable(a->out);
    const Session s = prepare(*a);
    const RunResult r = run_one(s, a->algo, cfg, true);
    if (!a->out.empty()) save_hf(*r.weights, a->out);
    nlohmann::json j{{"algo", a->algo}, {"weights", cfg.weights.describe()}, {"acts", cfg.acts.describe()},
                     {"calib_tokens", s.calib.size()}, {"seconds", r.seconds}};
    for (const auto& [name, e] : r.evals) j[name] = to_json(e);
    if (a->json) {
      std::cout << j.dump() << "\n";
      return;
    }
    for (const auto& [name, e] : r.evals)
      std::cout << std::setprecision(5) << name << ": ppl " << e.ppl << " (fp32 " << std::exp(e.ref_nll) << "), kld_mean "
                << e.kld_mean << ", kld_p999 " << e.kld_p999 << ", top1_agree " << e.top1_agree << " over " << e.tokens
                << " tokens\n";
  });
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

void add_ptq_table(CLI::App& app) {
  auto a = std::make_shared<PtqArgs>();
  auto formats = std::make_shared<std::string>("mxint8,mxint4,mxfp8_e4m3,mxfp4_e2m1,int4");
  auto pipelines = std::make_shared<std::string>("rtn,smoothquant,awq,gptq,smoothquant+gptq,awq+gptq,smoothquant+awq+gptq");
  auto out = std::make_shared<std::string>();
  a->acts = "mxint8";
  auto* cmd = app.add_subcommand("ptq-table", "Formats x pipelines, weight-only and with 8-bit activations, as Markdown");
  add_options(cmd, *a);
  cmd->add_option("--formats", *formats, "Comma-separated weight formats")->capture_default_str();
  cmd->add_option("--pipelines", *pipelines, "Comma-separated pipelines")->capture_default_str();
  cmd->add_option("--out", *out, "Also write the table (Markdown) to this file");
  cmd->callback([a, formats, pipelines, out] {
    for (const auto& p : split(*pipelines)) parse_pipeline(p);
    for (const auto& f : split(*formats)) TensorQuant::parse(f);
    if (!out->empty()) check_writable(*out);
    const Session s = prepare(*a);
    std::ostringstream md;
    bool fp32_row = false;
    md << "| weights | acts | pipeline | PPL TinyStories | KL TinyStories | top-1 | PPL WikiText-2 | KL WikiText-2 |\n"
       << "|---|---|---|---|---|---|---|---|\n";
    std::cout << md.str() << std::flush;
    for (const auto& f : split(*formats))
      for (const std::string& acts : {std::string("none"), a->acts})
        for (const auto& p : split(*pipelines)) {
          PtqArgs run = *a;
          run.weights = f;
          run.acts = acts;
          const RunResult r = run_one(s, p, config(run), false);
          std::ostringstream row;
          row << std::fixed << std::setprecision(4) << "| " << f << " | " << (acts == "none" ? "fp32" : acts) << " | " << p;
          const EvalResult& ts = r.evals[0].second;
          const EvalResult& wk = r.evals[1].second;
          if (!fp32_row) {  // the reference, once: KL 0 and top-1 1 by definition
            std::ostringstream ref;
            ref << std::fixed << std::setprecision(4) << "| fp32 | fp32 | - | " << std::exp(ts.ref_nll) << " | 0 | 1 | "
                << std::exp(wk.ref_nll) << " | 0 |\n";
            std::cout << ref.str();
            md << ref.str();
            fp32_row = true;
          }
          row << " | " << ts.ppl << " | " << ts.kld_mean << " | " << ts.top1_agree << " | " << wk.ppl << " | "
              << wk.kld_mean << " |\n";
          std::cout << row.str() << std::flush;
          md << row.str();
          std::cerr << "ptq-table: " << f << " " << acts << " " << p << " done in " << std::setprecision(1) << r.seconds
                    << " s\n";
        }
    if (!out->empty()) {
      const std::string text = md.str();
      PendingFile file(*out, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
      file.commit();
    }
  });
}

}  // namespace

void add_ptq_commands(CLI::App& app) {
  add_ptq(app);
  add_ptq_table(app);
}

}  // namespace mxlab::cli
