// `mxlab ptq` (one pipeline, evaluated against FP32: a thin caller of the algorithms/ PTQ library, ptq_run.hpp) and
// `mxlab ptq-table` (the seed study: its sweep spec through the experiments/ runner and report).
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "algorithms/lsaq.hpp"
#include "algorithms/ptq_run.hpp"
#include "apps/commands.hpp"
#include "apps/model_args.hpp"
#include "apps/tensor_io.hpp"
#include "experiments/report.hpp"
#include "experiments/runner.hpp"
#include "model/hf_format.hpp"
#include "model/load_model.hpp"
#include "model/progress.hpp"

namespace mxlab::cli {
namespace {

namespace fs = std::filesystem;
using namespace mxlab::model;
using namespace mxlab::algorithms;

struct PtqArgs {
  ModelArgs paths;
  GemmArgs gemm;
  std::string algo = "rtn", weights, acts = "none", round = "even", calib, out, dequantized, budget, stream = "auto";
  std::string block = "0", act_block = "0";
  int calib_samples = 128, calib_len = 0;  // 0 = the model's seq_len, the evaluation context
  std::size_t eval_tokens = 32768;
  std::uint64_t seed = 1234, round_seed = 0;
  bool classifier = false, json = false, allow_overlap = false, quiet = false, no_eval = false;
};

// A log line clears a progress bar's line first (the bar redraws itself on its next step).
void log_stderr(const std::string& line) { std::cerr << (Progress::enabled() ? "\r\x1b[K" : "") << line << "\n"; }

// --stream: off, on (streamed PTQ: needs --out DIR and steps that stream), or auto: streamed when the checkpoint is
// large (load_model's rule) and the run can stream.
LoadMode load_mode(const PtqArgs& a) {
  const LoadMode m = parse_load_mode(a.stream);
  if (m != LoadMode::automatic) return m;
  bool streams = !a.out.empty() && fs::path(a.out).extension() != ".safetensors";
  for (const auto& step : parse_pipeline(a.algo)) streams = streams && step->streams();
  return streams ? LoadMode::automatic : LoadMode::resident;
}

PtqSession prepare(const PtqArgs& a) {
  PtqSessionOptions o;
  o.model = model_path(a.paths);
  o.tokenizer = tokenizer_path(a.paths);
  o.calib = {a.calib.empty() ? fs::path() : resolve(a.calib, "", a.paths.data_dir), a.calib_samples, a.calib_len, a.seed};
  if (!a.no_eval)
    for (const auto& [name, file] : kDefaultEvalTexts) o.eval_texts.emplace_back(name, resolve("", file, a.paths.data_dir));
  o.eval_tokens = a.eval_tokens;
  o.allow_overlap = a.allow_overlap;
  o.load = load_mode(a);
  return prepare_session(o, log_stderr);
}

// The scheme of one run: weight format `weights` (and --block), activation format `acts` (and --act-block).
QuantScheme scheme(const PtqArgs& a, const std::string& weights, const std::string& acts) {
  return linear_scheme({.weights = weights, .acts = acts, .block = a.block, .act_block = a.act_block, .round = a.round,
                        .round_seed = a.round_seed, .quantize_classifier = a.classifier, .gemm = a.gemm.gemm,
                        .acc = a.gemm.acc, .tensor_scale = a.gemm.tensor_scale});
}

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

void add_options(CLI::App* cmd, PtqArgs& a) {
  add_paths(cmd, a.paths, true, false);
  cmd->add_option("--acts", a.acts, "Activation format of every linear input (none = weight-only)")->capture_default_str();
  cmd->add_option("--round", a.round, "Rounding of weights and activations")->capture_default_str();
  cmd->add_option("--act-block", a.act_block, "Activation block size (0 = the format's default, row = one per token)");
  cmd->add_option("--calib", a.calib,
                  "Calibration text file, read at --calib-samples random offsets (default: samples the FP32 model "
                  "generates); refused when it shares text with an evaluation text");
  cmd->add_flag("--allow-overlap", a.allow_overlap, "Accept a --calib text that overlaps an evaluation text");
  cmd->add_option("--calib-samples", a.calib_samples, "Calibration windows (GPTQ/AWQ use 128)")->capture_default_str();
  cmd->add_option("--calib-len", a.calib_len,
                  "Tokens per calibration window (0 = the model's seq_len, the evaluation context)")
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "Seed of the calibration window offsets, or of the generated samples")
      ->capture_default_str();
  cmd->add_option("--round-seed", a.round_seed, "Seed of stochastic rounding (each tensor draws its own stream)")
      ->capture_default_str();
  cmd->add_flag("--quantize-classifier", a.classifier, "Also quantize the classifier");
  cmd->add_option("--eval-tokens", a.eval_tokens, "Tokens of each evaluation text (0 = all)")->capture_default_str();
  cmd->add_flag("--no-eval", a.no_eval, "Quantize (and write --out) only: no evaluation against FP32");
  add_gemm_options(cmd, a.gemm);
}

void add_ptq(CLI::App& app) {
  auto a = std::make_shared<PtqArgs>();
  auto* cmd = app.add_subcommand("ptq", "Quantize a model with a PTQ pipeline and evaluate it against FP32");
  add_options(cmd, *a);
  cmd->add_option("--algo", a->algo,
                  "Pipeline: steps joined by '+', parameters after ':', e.g. smoothquant:alpha=0.6+awq+gptq:act_order=on")
      ->capture_default_str();
  cmd->add_option("--weights", a->weights, "Weight format (see `mxlab formats`)")->required();
  cmd->add_option("--budget", a->budget,
                  "LSAQ weight budget: <x>bpw (mean bits per weight) or <n>B (bytes), e.g. --algo lsaq+gptq --budget 4.5bpw");
  cmd->add_option("--block", a->block, "Weight block/group size (0 = the format's default, row = per output channel)");
  cmd->add_option("--out", a->out,
                  "Write the quantized model (X.safetensors with config.json beside it, or an HF directory): packed codes, "
                  "scales and scheme, reloaded exactly by `eval --model`");
  cmd->add_option("--dequantized", a->dequantized, "With --out: plain bf16 or f32 weights instead, for other tools")
      ->check(CLI::IsMember({"bf16", "f32"}));
  cmd->add_option("--stream", a->stream,
                  "Streamed PTQ (HF checkpoints; rtn, gptq, gptvq): each layer read, quantized and written to --out DIR "
                  "(one shard per layer) in turn, only that layer resident; auto: when the FP32 layers exceed 2 GiB")
      ->check(CLI::IsMember({"on", "off", "auto"}))
      ->capture_default_str();
  cmd->add_flag("--quiet", a->quiet, "No progress bars");
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([a] {
    const QuantScheme s = scheme(*a, a->weights, a->acts);
    if (!a->budget.empty()) a->algo = with_budget(a->algo, a->budget);  // lsaq's budget
    const bool vq_weights = s.linear.weight.format && traits(*s.linear.weight.format).family == Family::vq;
    for (const auto& step : parse_pipeline(a->algo))  // reject a bad pipeline or destination before the expensive work
      if (step->name() == "gptvq" && !vq_weights && !a->out.empty() && a->dequantized.empty())
        throw std::invalid_argument("gptvq: a packed --out needs a VQ weight format (--weights vq2_d2, vq3_d1, ...); "
                                    "or use --out with --dequantized f32");
    if (!a->out.empty()) check_writable(a->out);
    if (!a->dequantized.empty() && a->out.empty()) throw std::invalid_argument("--dequantized needs --out");
    if (a->stream == "on" && a->out.empty())
      throw std::invalid_argument("--stream on writes the quantized model layer by layer as it goes: it needs --out DIR");
    if (a->stream == "on") require_streaming(a->algo);
    if (a->stream == "on" && fs::exists(a->out) && !(fs::is_directory(a->out) && fs::is_empty(a->out)))
      throw std::invalid_argument("--out " + a->out + ": exists and is not an empty directory (--stream on writes a new "
                                  "sharded checkpoint directory)");
    Progress::set_quiet(a->quiet);
    std::optional<PtqExport> out;
    if (!a->out.empty()) {
      out = PtqExport{a->out, std::nullopt, {}};
      if (!a->dequantized.empty()) out->dequantized = a->dequantized == "bf16" ? Dtype::bf16 : Dtype::f32;
      out->provenance = {{"model", model_path(a->paths).filename().string()},
                         {"calib", a->calib.empty() ? "generated by the FP32 model" : fs::path(a->calib).filename().string()},
                         {"calib_seed", a->seed}};
    }
    const PtqRunResult r = run_ptq(prepare(*a), a->algo, s, log_stderr, out ? &*out : nullptr);
    if (a->json) std::cout << nlohmann::json(r).dump() << "\n";
    else std::cout << summary(r);
  });
}

// `mxlab ptq-table`: the seed study's table is a sweep spec (experiments/specs/seed_ptq_table.toml) run by the
// sweep runner (resumable: a rerun keeps every finished row) and shown as the report's table.
void add_ptq_table(CLI::App& app) {
  struct Args {
    std::string spec = experiments::bundled_spec("seed_ptq_table").string(), results = "seed_ptq_table.h5", out, data_dir;
    int jobs = 1;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("ptq-table", "The seed study's table: `mxlab sweep` of experiments/specs/seed_ptq_table.toml, "
                                              "then its report table");
  cmd->add_option("--spec", a->spec, "Sweep spec")->capture_default_str();
  cmd->add_option("--results", a->results, "Result file (a rerun keeps its finished points)")->capture_default_str();
  cmd->add_option("--out", a->out, "Report directory (default: <results stem>-report)");
  cmd->add_option("--jobs", a->jobs, "Points computed at a time (as `mxlab sweep --jobs`)")->capture_default_str();
  cmd->add_option("--data-dir", a->data_dir, "Data directory for relative paths not found beside the spec");
  cmd->callback([a] {
    const fs::path results(a->results);
    experiments::SweepOptions o;
    o.out = results;
    o.jobs = a->jobs;
    o.log = log_stderr;
    const experiments::SweepSummary s = experiments::run_sweep(experiments::load_spec(a->spec, data_dir(a->data_dir)), o);
    experiments::ReportOptions r;
    r.out_dir = a->out.empty() ? results.parent_path() / (results.stem().string() + "-report") : fs::path(a->out);
    std::cout << experiments::write_report(results, r).markdown;
    if (s.failed) throw std::runtime_error(std::to_string(s.failed) + " point(s) failed; their errors are in " + results.string());
  });
}

}  // namespace

void add_ptq_commands(CLI::App& app) {
  add_ptq(app);
  add_ptq_table(app);
}

}  // namespace mxlab::cli
