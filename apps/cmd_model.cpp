// `mxlab tokenize | generate | eval`: the Llama-family runtime from the command line (model/ library).
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "apps/commands.hpp"
#include "apps/model_args.hpp"
#include "model/eval.hpp"
#include "model/eval_json.hpp"
#include "model/generate.hpp"
#include "model/hf_format.hpp"
#include "model/load_model.hpp"
#include "model/progress.hpp"
#include "model/text_corpus.hpp"
#include "model/tokenizer.hpp"

namespace mxlab::cli {
namespace {

namespace fs = std::filesystem;
using namespace mxlab::model;

void add_tokenize(CLI::App& app) {
  auto a = std::make_shared<ModelArgs>();
  auto raw = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("tokenize", "Token ids of a text file, one per line (the stream eval uses)");
  add_paths(cmd, *a, false, true);
  auto* string_opt = cmd->add_option("--string", *raw, "Encode this string (BOS first) instead of a file");
  cmd->callback([a, raw, string_opt] {
    const Tokenizer tok = tokenizer(*a);
    const std::vector<int> ids = string_opt->count() ? tok.encode(*raw, true) : load_eval_tokens(tok, text_path(*a));
    std::string out;
    for (int id : ids) out += std::to_string(id) + "\n";
    std::cout << out;
  });
}

// Wall and process-CPU time from the start to each generated token: the first includes the prompt's prefill, the
// rest are one decode step each.
struct TokenClock {
  using Wall = std::chrono::steady_clock;
  Wall::time_point w0 = Wall::now(), w1 = w0, wn = w0;
  std::clock_t c0 = std::clock(), c1 = c0, cn = c0;
  int n = 0;
  void tick() {
    wn = Wall::now(), cn = std::clock();
    if (++n == 1) w1 = wn, c1 = cn;
  }
  std::string report(std::size_t prompt) const {
    auto sec = [](auto d) { return std::chrono::duration<double>(d).count(); };
    auto cpu = [](std::clock_t a, std::clock_t b) { return static_cast<double>(b - a) / CLOCKS_PER_SEC; };
    std::ostringstream s;
    s << "generate: prefill of " << prompt << " tokens + first token " << sec(w1 - w0) << " s (CPU " << cpu(c0, c1)
      << " s)";
    if (n > 1)
      s << "; then " << n - 1 << " tokens at " << sec(wn - w1) / (n - 1) << " s per token (CPU " << cpu(c1, cn) / (n - 1)
        << " s per token)";
    return s.str() + "\n";
  }
};

void add_generate(CLI::App& app) {
  auto a = std::make_shared<ModelArgs>();
  auto prompt = std::make_shared<std::string>();
  auto opt = std::make_shared<GenerateOptions>();
  auto ids = std::make_shared<bool>(false), timing = std::make_shared<bool>(false);
  auto stream = std::make_shared<std::string>("auto");
  auto* cmd = app.add_subcommand("generate", "Sample text from the FP32 model (llama2.c run.c sampler)");
  add_paths(cmd, *a, true, false);
  cmd->add_option("--prompt", *prompt, "Prompt text (default: start from BOS alone)");
  cmd->add_option("--steps", opt->steps, "Positions to run incl. the prompt (0 = seq_len)")->capture_default_str();
  cmd->add_option("--temperature", opt->temperature, "0 = greedy argmax")->capture_default_str();
  cmd->add_option("--top-p", opt->top_p, "Nucleus sampling threshold in (0,1); 1 = off")->capture_default_str();
  cmd->add_option("--seed", opt->seed, "Non-zero RNG seed")->capture_default_str();
  cmd->add_flag("--ids", *ids, "Print token ids (one per line) instead of text");
  add_stream_option(cmd, *stream);
  cmd->add_flag("--timing", *timing, "Print the seconds per generated token (wall and process CPU) on stderr");
  cmd->callback([a, prompt, opt, ids, stream, timing] {
    Runtime rt(load(*a, parse_load_mode(*stream)));
    const Tokenizer tok = tokenizer(*a);
    if (tok.vocab_size() != rt.config().vocab_size)
      throw std::invalid_argument("tokenizer has " + std::to_string(tok.vocab_size()) + " tokens but the model " +
                                  std::to_string(rt.config().vocab_size) + " (wrong --tokenizer?)");
    GenerateOptions o = *opt;
    TokenClock clock;
    o.on_token = [&](int prev, int next) {
      clock.tick();
      if (!*ids) std::cout << tok.decode(prev, next) << std::flush;
    };
    const std::vector<int> p = tok.encode(*prompt, /*bos=*/true);
    check_generate(rt.config(), p, o);  // fail before printing anything
    if (!*ids) std::cout << tok.decode(p) << std::flush;
    const std::vector<int> out = generate(rt, p, o);
    if (*timing) std::cerr << clock.report(p.size());
    if (*ids)
      for (int id : out) std::cout << id << "\n";
    else
      std::cout << "\n";
  });
}

struct EvalArgs {
  ModelArgs paths;
  EvalOptions opt;
  std::string weights = "none", acts = "none", outputs = "none", kv = "none", round = "even";
  GemmArgs gemm;
  std::string block = "0", reference;
  std::uint64_t round_seed = 0;
  bool classifier = false, json = false, quiet = false;
  std::string stream = "auto";
};

QuantScheme scheme_from(const EvalArgs& e) {
  QuantScheme s;
  const int block = parse_block(e.block);
  s.linear.weight = TensorQuant::parse(e.weights, block);
  s.linear.input = TensorQuant::parse(e.acts, block);
  s.linear.output = TensorQuant::parse(e.outputs, block);
  s.kv_cache = TensorQuant::parse(e.kv, block);
  for (TensorQuant* t : {&s.linear.weight, &s.linear.input, &s.linear.output, &s.kv_cache})
    t->cfg.round = parse_round(e.round), t->cfg.seed = e.round_seed;
  s.quantize_classifier = e.classifier;
  apply_gemm(e.gemm, s);
  return s;
}

void add_eval(CLI::App& app) {
  auto e = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "Perplexity; with quantization also KL divergence and top-1 vs FP32");
  add_paths(cmd, e->paths, true, true);
  cmd->add_option("--ctx", e->opt.ctx, "Window length (default: the model's seq_len)");
  cmd->add_option("--max-tokens", e->opt.max_tokens, "Use only the first K tokens of the stream");
  cmd->add_option("--weights", e->weights, "Weight format of every linear layer (none = FP32)")->capture_default_str();
  cmd->add_option("--acts", e->acts, "Input-activation format of every linear layer")->capture_default_str();
  cmd->add_option("--outputs", e->outputs, "Output format of every linear layer")->capture_default_str();
  cmd->add_option("--kv-cache", e->kv, "KV-cache format")->capture_default_str();
  cmd->add_option("--block", e->block, "Block size (0 = each format's default, row = one block per row)")
      ->capture_default_str();
  cmd->add_option("--round", e->round, "Rounding: even, nearest, floor, stochastic")->capture_default_str();
  cmd->add_option("--round-seed", e->round_seed, "Seed of stochastic rounding (each tensor draws its own stream)")
      ->capture_default_str();
  cmd->add_flag("--quantize-classifier", e->classifier, "Quantize the classifier too");
  add_gemm_options(cmd, e->gemm);
  cmd->add_option("--reference", e->reference,
                  "Model the KL divergence and top-1 compare against (default: --model itself, unquantized)");
  cmd->add_flag("--json", e->json, "Print one JSON object");
  add_stream_option(cmd, e->stream);
  cmd->add_flag("--quiet", e->quiet, "No progress bars");
  cmd->callback([e] {
    Progress::set_quiet(e->quiet);
    const LoadMode mode = parse_load_mode(e->stream);
    QuantScheme scheme = scheme_from(*e);
    // a quantized checkpoint (ptq --out) runs with the scheme and scales it was written with
    const std::optional<QuantizedCheckpoint> ckpt = read_quantization(model_path(e->paths));
    if (ckpt && scheme.any())
      throw std::invalid_argument(model_path(e->paths).string() + " is quantized (" + ckpt->scheme.describe() +
                                  "): it runs with its own scheme; drop the quantization options");
    if (ckpt) scheme = ckpt->scheme;
    auto weights = std::make_shared<ModelWeights>(load_model(model_path(e->paths), mode));
    const Tokenizer tok = tokenizer(e->paths);
    if (tok.vocab_size() != weights->config.vocab_size)
      throw std::invalid_argument("tokenizer has " + std::to_string(tok.vocab_size()) + " tokens but the model " +
                                  std::to_string(weights->config.vocab_size) + " (wrong --tokenizer?)");
    const std::vector<int> tokens = load_eval_tokens(tok, text_path(e->paths));
    Runtime fp32(e->reference.empty() ? weights : std::make_shared<ModelWeights>(load_model(e->reference, mode)));
    if (fp32.config().vocab_size != weights->config.vocab_size)
      throw std::invalid_argument("--reference has " + std::to_string(fp32.config().vocab_size) +
                                  " tokens but the model " + std::to_string(weights->config.vocab_size));
    Runtime quant(weights, scheme);
    if (ckpt && scheme.gemm == GemmMode::exact)
      for (const auto& [id, p] : ckpt->linears) quant.set_weight_scales(id, p.scales, p.tensor_scale);
    EvalOptions opt = e->opt;
    auto bar = std::make_shared<std::unique_ptr<Progress>>();
    opt.progress = [bar](std::size_t w, std::size_t n) {
      if (!*bar) *bar = std::make_unique<Progress>("eval", n);
      (*bar)->set(w);
    };
    const bool quantized = scheme.any() || ckpt || !e->reference.empty();
    const EvalResult r = quantized ? evaluate(quant, tokens, opt, &fp32) : evaluate(fp32, tokens, opt);
    nlohmann::json j = r;
    j["scheme"] = scheme.describe();
    if (quantized) {
      j["gemm"] = gemm_mode_name(scheme.gemm);
      j["acc"] = scheme.acc.name();
    }
    if (e->json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << std::setprecision(6);
    for (const char* k : {"scheme", "gemm", "acc", "ctx", "windows", "tokens", "nll", "ppl", "fp32_nll", "fp32_ppl",
                          "kld_mean", "kld_median", "kld_p999", "kld_max", "top1_agree"})
      if (!j.contains(k)) continue;
      else if (j[k].is_string()) std::cout << std::left << std::setw(11) << k << " " << j[k].get<std::string>() << "\n";
      else std::cout << std::left << std::setw(11) << k << " " << j[k].get<double>() << "\n";
  });
}

}  // namespace

void add_model_commands(CLI::App& app) {
  add_tokenize(app);
  add_generate(app);
  add_eval(app);
}

}  // namespace mxlab::cli
