// LSAQ as a pipeline step (before the quantizer: lsaq+gptq, lsaq+rtn): importance of every decoder layer by the
// logit lens on the FP32 model over the calibration windows, then one weight format per decoder layer from the
// candidates so that the quantized linears' exact bits (weight_bits) stay within the budget, written to the
// scheme's per-layer overrides for the quantizer. A layer's loss in candidate f is importance x its relative RTN
// weight error ||W - Q_f(W)||^2 / ||W||^2 over its linears, so more important layers get the formats with less
// error (more bits). Parameters: budget (required: <x>bpw or <n>B), formats=mxint8/mxint6/mxint4/mxfp4_e2m1,
// k=10, alloc=exact|greedy|random, seed=0 (random).
#include <iomanip>
#include <sstream>

#include "algorithms/layer_io.hpp"
#include "algorithms/lsaq.hpp"
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

struct LsaqOptions {
  std::string budget;
  std::vector<std::string> formats;
  int k = 10;
  std::string alloc = "exact";
  std::uint64_t seed = 0;
};

class Lsaq final : public PtqAlgorithm {
 public:
  explicit Lsaq(LsaqOptions opt) : opt_(std::move(opt)) {}
  std::string_view name() const override { return "lsaq"; }
  void run(PtqContext& ctx) const override {
    const model::ModelWeights& w = *ctx.weights;
    const int layers = w.config.n_layers;
    const model::TensorQuant base = ctx.scheme.linear.weight;
    std::vector<model::TensorQuant> cands;
    for (const std::string& f : opt_.formats) {
      model::TensorQuant q = model::TensorQuant::parse(f, base.per_row ? model::kBlockRow : base.cfg.block);
      q.cfg.round = base.cfg.round;
      q.cfg.seed = base.cfg.seed;
      cands.push_back(q);
    }
    const model::Runtime fp32(ctx.weights, model::QuantScheme{});
    const std::vector<double> importance = logit_lens_importance(fp32, ctx.calib, ctx.ctx, opt_.k);
    ctx.layer_importance = importance;  // the run's record (PtqRunResult::layer_importance)

    AllocationProblem p;
    p.cost.assign(static_cast<std::size_t>(layers), std::vector<std::uint64_t>(cands.size(), 0));
    p.loss.assign(static_cast<std::size_t>(layers), std::vector<double>(cands.size(), 0.0));
    std::uint64_t fixed = 0, weights = 0;  // bits of quantized linears outside the decoder layers (classifier)
    for (const LinearId& id : ctx.quantized_linears()) {
      const model::Linear& lin = w.linear(id);
      weights += static_cast<std::uint64_t>(lin.weight.size());
      if (id.layer < 0) { fixed += weight_bits(ctx.weight_format(id), lin.out(), lin.in()); continue; }
    }
    for (int l = 0; l < layers; ++l)
      for (std::size_t c = 0; c < cands.size(); ++c) {
        double err = 0, norm = 0;
        for (const LinearId& id : ctx.quantized_linears()) {
          if (id.layer != l) continue;
          const model::Linear& lin = w.linear(id);
          p.cost[static_cast<std::size_t>(l)][c] += weight_bits(cands[c], lin.out(), lin.in());
          Matrix q = lin.weight;
          model::quantize_rows(cands[c], q, model::quant_stream(id, 0));
          err += (q - lin.weight).squaredNorm();
          norm += lin.weight.squaredNorm();
        }
        p.loss[static_cast<std::size_t>(l)][c] = importance[static_cast<std::size_t>(l)] * (norm > 0 ? err / norm : 0.0);
      }
    const std::uint64_t budget = parse_budget(opt_.budget, weights);
    if (budget < fixed) throw std::invalid_argument("lsaq: budget " + opt_.budget + " does not cover the classifier's bits");
    p.budget = budget - fixed;
    const Allocation exact = allocate_exact(p), greedy = allocate_greedy(p);
    const Allocation chosen = opt_.alloc == "exact" ? exact : opt_.alloc == "greedy" ? greedy : allocate_random(p, opt_.seed);

    for (const LinearId& id : ctx.quantized_linears()) {
      if (id.layer < 0) continue;
      model::LinearQuant lq = ctx.scheme.for_linear(id);
      lq.weight = cands[static_cast<std::size_t>(chosen.choice[static_cast<std::size_t>(id.layer)])];
      ctx.scheme.overrides[model::linear_name(id)] = lq;
    }
    std::ostringstream s;
    s << std::setprecision(4) << "  lsaq: importance (1 - Jaccard of top-" << opt_.k << ", logit lens):";
    for (double v : importance) s << " " << v;
    ctx.say(s.str());
    for (int l = 0; l < layers; ++l) {
      std::ostringstream line;
      line << "  lsaq: layer " << l << " importance " << std::setprecision(4) << importance[static_cast<std::size_t>(l)]
           << " -> " << cands[static_cast<std::size_t>(chosen.choice[static_cast<std::size_t>(l)])].describe();
      ctx.say(line.str());
    }
    auto bpw = [&](const Allocation& a) { return static_cast<double>(a.cost + fixed) / static_cast<double>(weights); };
    std::ostringstream t;
    t << std::setprecision(6) << "  lsaq: " << opt_.alloc << " allocation " << bpw(chosen) << " bits/weight (budget "
      << static_cast<double>(budget) / static_cast<double>(weights) << "); objective exact " << exact.loss << " at "
      << bpw(exact) << " bpw, greedy " << greedy.loss << " at " << bpw(greedy) << " bpw";
    if (opt_.alloc == "random") t << ", random " << chosen.loss;
    ctx.say(t.str());
  }

 private:
  LsaqOptions opt_;
};

std::vector<std::string> split_formats(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t slash = std::min(s.find('/', start), s.size());
    out.push_back(s.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::unique_ptr<PtqAlgorithm> make_lsaq(const StepParams& p) {
  p.expect({"budget", "formats", "k", "alloc", "seed"});
  LsaqOptions o;
  if (!p.has("budget")) throw std::invalid_argument("lsaq needs a budget: --budget 4.5bpw (or lsaq:budget=4.5bpw)");
  o.budget = *p.value("budget");
  parse_budget(o.budget, 1);  // the form only
  o.formats = split_formats(p.has("formats") ? *p.value("formats") : "mxint8/mxint6/mxint4/mxfp4_e2m1");
  for (const std::string& f : o.formats)  // parse throws naming the known formats
    if (!model::TensorQuant::parse(f).enabled()) throw std::invalid_argument("lsaq: 'none' is not a candidate format");
  o.k = p.integer("k", o.k, 1, 1 << 24);
  o.alloc = p.choice("alloc", o.alloc, {"exact", "greedy", "random"});
  o.seed = static_cast<std::uint64_t>(p.integer("seed", 0, 0, 1 << 30));
  return std::make_unique<Lsaq>(std::move(o));
}

}  // namespace mxlab::algorithms
