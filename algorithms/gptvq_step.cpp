// GPTVQ over the whole model in GPTQ's sequential order (quantize_sequentially): every quantized linear becomes
// D-dimensional VQ codes with learned codebooks (gptvq_quantize). Parameters: dim=2, bits=2, group=2048,
// columns=256, iters=100, codebook=int8|fp16, update=on, percdamp=0.01, seed=0, hessian_from=float.
// The scheme's weight format only selects the linears; the exact VQ storage is logged per layer and in total.
#include <sstream>

#include "algorithms/gptq.hpp"
#include "algorithms/gptvq.hpp"
#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

class Gptvq final : public PtqAlgorithm {
 public:
  Gptvq(GptvqOptions opt, bool quantized_inputs) : opt_(opt), quantized_inputs_(quantized_inputs) {}
  std::string_view name() const override { return "gptvq"; }
  void run(PtqContext& ctx) const override {
    if (ctx.scheme.gemm == model::GemmMode::exact)
      throw std::invalid_argument("gptvq: VQ weights have no block scales for --gemm exact; use --gemm fakequant");
    std::uint64_t bits = 0, weights = 0;
    double before = 0, after = 0;
    quantize_sequentially(ctx, "gptvq", quantized_inputs_, [&](LinearId id, const Eigen::MatrixXd& H, std::ostream& line) {
      model::Linear& lin = ctx.weights->linear(id);
      GptvqOptions o = opt_;
      o.seed = mix(opt_.seed, id);
      GptvqResult r = gptvq_quantize(lin.weight, H, o);
      lin.weight = std::move(r.weight);
      bits += r.bits;
      weights += static_cast<std::uint64_t>(lin.weight.size());
      before += r.error_before_update;
      after += r.error_after_update;
      // The run record needs an entry per quantized linear; the weight hooks are off (fakequant), the VQ weight
      // is used as is, and no block scales exist (the record's format is the scheme's placeholder).
      const model::TensorQuant quant = ctx.weight_format(id);
      ctx.scales[id] = WeightScales{quant, lin.out(), lin.in(), quant.block_for(lin.in()), {}, 1.0f};
      line << " " << model::kind_name(id.kind) << " " << r.bits_per_weight() << " bpw loss " << r.loss;
    });
    std::ostringstream total;
    total << "  gptvq: D=" << opt_.dim << " bits=" << opt_.bits << " " << (opt_.storage == VqStorage::int8 ? "int8" : "fp16")
          << " codebooks: " << bits << " bits for " << weights << " weights = "
          << static_cast<double>(bits) / static_cast<double>(weights) << " bits/weight (exact, codebooks included)"
          << "; codebook update: output error " << before << " -> " << after;
    ctx.say(total.str());
  }

 private:
  static std::uint64_t mix(std::uint64_t seed, LinearId id) {
    return seed * 1000003ULL + static_cast<std::uint64_t>(id.layer + 1) * 16 + static_cast<std::uint64_t>(id.kind);
  }
  GptvqOptions opt_;
  bool quantized_inputs_;
};

}  // namespace

std::unique_ptr<PtqAlgorithm> make_gptvq(const StepParams& p) {
  p.expect({"dim", "bits", "group", "columns", "iters", "codebook", "update", "percdamp", "seed", "hessian_from"});
  GptvqOptions o;
  o.dim = p.integer("dim", o.dim, 1, 4);
  if (o.dim == 3) throw std::invalid_argument("gptvq: dim must be 1, 2 or 4 (got 3)");
  o.bits = p.integer("bits", o.bits, 1, 16);
  if (o.bits * o.dim > VqCodebook::kMaxIndexBits)
    throw std::invalid_argument("gptvq: bits * dim must be <= 16 (K = 2^(bits * dim) codewords)");
  o.group = p.integer("group", o.group, 1, 1 << 30);
  o.columns = p.integer("columns", o.columns, o.dim, 1 << 30);
  o.iters = p.integer("iters", o.iters, 0, 100000);
  o.storage = p.choice("codebook", "int8", {"int8", "fp16"}) == "int8" ? VqStorage::int8 : VqStorage::fp16;
  o.update = p.flag("update", o.update);
  o.percdamp = p.number("percdamp", o.percdamp, 0.0, 1.0);
  o.seed = static_cast<std::uint64_t>(p.integer("seed", 0, 0, 1 << 30));
  return std::make_unique<Gptvq>(o, p.choice("hessian_from", "float", {"float", "quantized"}) == "quantized");
}

}  // namespace mxlab::algorithms
