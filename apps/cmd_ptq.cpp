// `mxlab ptq` (one pipeline, evaluated against FP32) and `mxlab ptq-table` (formats x pipelines, W-only and
// with 8-bit activations, as a Markdown table): thin callers of the algorithms/ PTQ library (ptq_run.hpp).
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "algorithms/ptq_run.hpp"
#include "formats/atomic_file.hpp"
#include "apps/commands.hpp"
#include "apps/model_args.hpp"
#include "apps/tensor_io.hpp"
#include "model/hf_format.hpp"

namespace mxlab::cli {
namespace {

namespace fs = std::filesystem;
using namespace mxlab::model;
using namespace mxlab::algorithms;

struct PtqArgs {
  ModelArgs paths;
  GemmArgs gemm;
  std::string algo = "rtn", weights, acts = "none", round = "even", calib, out, dequantized;
  std::string block = "0", act_block = "0";
  int calib_samples = 128, calib_len = 0;  // 0 = the model's seq_len, the evaluation context
  std::size_t eval_tokens = 32768;
  std::uint64_t seed = 1234, round_seed = 0;
  bool classifier = false, json = false, allow_overlap = false;
};

void log_stderr(const std::string& line) { std::cerr << line << "\n"; }

PtqSession prepare(const PtqArgs& a) {
  PtqSessionOptions o;
  o.model = model_path(a.paths);
  o.tokenizer = tokenizer_path(a.paths);
  o.calib = {a.calib.empty() ? fs::path() : resolve(a.calib, "", a.paths.data_dir), a.calib_samples, a.calib_len, a.seed};
  for (const auto& [name, file] : kDefaultEvalTexts) o.eval_texts.emplace_back(name, resolve("", file, a.paths.data_dir));
  o.eval_tokens = a.eval_tokens;
  o.allow_overlap = a.allow_overlap;
  return prepare_session(o, log_stderr);
}

// The scheme of one run: weight format `weights` (and --block), activation format `acts` (and --act-block).
QuantScheme scheme(const PtqArgs& a, const std::string& weights, const std::string& acts) {
  QuantScheme s;
  s.linear.weight = TensorQuant::parse(weights, parse_block(a.block));
  s.linear.input = TensorQuant::parse(acts, parse_block(a.act_block));
  s.linear.weight.cfg.round = s.linear.input.cfg.round = parse_round(a.round);
  s.linear.weight.cfg.seed = s.linear.input.cfg.seed = a.round_seed;
  s.quantize_classifier = a.classifier;
  apply_gemm(a.gemm, s);
  return s;
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
  cmd->add_option("--block", a->block, "Weight block/group size (0 = the format's default, row = per output channel)");
  cmd->add_option("--out", a->out,
                  "Write the quantized model (X.safetensors with config.json beside it, or an HF directory): packed codes, "
                  "scales and scheme, reloaded exactly by `eval --model`");
  cmd->add_option("--dequantized", a->dequantized, "With --out: plain bf16 or f32 weights instead, for other tools")
      ->check(CLI::IsMember({"bf16", "f32"}));
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([a] {
    const QuantScheme s = scheme(*a, a->weights, a->acts);
    parse_pipeline(a->algo);  // reject a bad pipeline or destination before the expensive work
    if (!a->out.empty()) check_writable(a->out);
    if (!a->dequantized.empty() && a->out.empty()) throw std::invalid_argument("--dequantized needs --out");
    const PtqRunResult r = run_ptq(prepare(*a), a->algo, s, log_stderr);
    if (!a->dequantized.empty()) {
      save_hf(*r.weights, a->out, a->dequantized == "bf16" ? Dtype::bf16 : Dtype::f32);
    } else if (!a->out.empty()) {
      QuantizedCheckpoint q = quantized_checkpoint(r);
      q.provenance["model"] = model_path(a->paths).filename().string();
      q.provenance["calib"] = a->calib.empty() ? "generated by the FP32 model" : fs::path(a->calib).filename().string();
      q.provenance["calib_seed"] = a->seed;
      save_hf(*r.weights, a->out, Dtype::f32, &q);
    }
    if (a->json) std::cout << nlohmann::json(r).dump() << "\n";
    else std::cout << summary(r);
  });
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// One Markdown row: weights, acts, pipeline, bits/weight, then PPL/KL/top-1 on TinyStories and PPL/KL on WikiText-2.
std::string table_row(const std::string& w, const std::string& acts, const std::string& pipeline, double bits,
                      const EvalResult& ts, const EvalResult& wk, bool reference) {
  std::ostringstream row;
  row << std::fixed << std::setprecision(4) << "| " << w << " | " << acts << " | " << pipeline << " | "
      << std::setprecision(bits == std::floor(bits) ? 0 : 4) << bits << std::setprecision(4) << " | ";
  if (reference) row << std::exp(ts.ref_nll) << " | 0 | 1 | " << std::exp(wk.ref_nll) << " | 0 |\n";
  else row << ts.ppl << " | " << ts.kld_mean << " | " << ts.top1_agree << " | " << wk.ppl << " | " << wk.kld_mean << " |\n";
  return row.str();
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
  cmd->add_option("--pipelines", *pipelines, "Comma-separated pipelines (steps joined by '+', parameters after ':')")
      ->capture_default_str();
  cmd->add_option("--out", *out, "Also write the table (Markdown) to this file");
  cmd->add_flag("--json", a->json, "Print one JSON object per run (as `mxlab ptq --json`) instead of the table");
  cmd->callback([a, formats, pipelines, out] {
    // Weight-only rows multiply dequantized weights with float activations: only fakequant GEMMs run them.
    std::vector<std::string> acts{a->acts};
    if (parse_gemm_mode(a->gemm.gemm) == GemmMode::fakequant) acts.insert(acts.begin(), "none");
    for (const auto& p : split(*pipelines)) parse_pipeline(p);
    for (const auto& f : split(*formats)) scheme(*a, f, a->acts);
    if (!out->empty()) check_writable(*out);
    const PtqSession s = prepare(*a);
    std::ostringstream md;
    bool fp32_row = false;
    md << "| weights | acts | pipeline | bits/weight | PPL TinyStories | KL TinyStories | top-1 | PPL WikiText-2 | KL WikiText-2 |\n"
       << "|---|---|---|---|---|---|---|---|---|\n";
    if (!a->json) std::cout << md.str() << std::flush;
    auto emit = [&](const std::string& text) {
      md << text;
      if (!a->json) std::cout << text << std::flush;
    };
    for (const auto& f : split(*formats))
      for (const std::string& act : acts)
        for (const auto& p : split(*pipelines)) {
          const PtqRunResult r = run_ptq(s, p, scheme(*a, f, act));
          const EvalResult& ts = r.evals[0].second;
          const EvalResult& wk = r.evals[1].second;
          if (!fp32_row) emit(table_row("fp32", "fp32", "-", 32, ts, wk, true));  // KL 0 and top-1 1 by definition
          fp32_row = true;
          emit(table_row(f, act == "none" ? "fp32" : act, p, r.bits_per_weight(), ts, wk, false));
          if (a->json) std::cout << nlohmann::json(r).dump() << "\n" << std::flush;
          std::cerr << "ptq-table: " << f << " " << act << " " << p << " done in " << std::fixed << std::setprecision(1)
                    << r.seconds << " s\n";
        }
    if (!out->empty()) {
      AtomicFile::write_file(*out, md.str());
    }
  });
}

}  // namespace

void add_ptq_commands(CLI::App& app) {
  add_ptq(app);
  add_ptq_table(app);
}

}  // namespace mxlab::cli
