// GPTVQ over the whole model in GPTQ's sequential order (quantize_sequentially): every quantized linear becomes
// D-dimensional VQ codes with learned codebooks (gptvq_quantize). Parameters: dim=2, bits=2, group=2048,
// columns=256, iters=100, codebook=int8|fp16, update=on, percdamp=0.01, seed=0, hessian_from=float.
// With a VQ weight format (--weights vq2_d2, ...: formats/vq_codecs.cpp) the format fixes D, the bits and the codebook
// groups (its blocks along each row) and GPTVQ writes that format's blocks (packed --out, --gemm exact); with any
// other format that format only selects the linears. The exact VQ storage is logged per layer and in total.
#include <sstream>

#include "algorithms/gptq.hpp"
#include "algorithms/gptvq.hpp"
#include "algorithms/layer_io.hpp"
#include "algorithms/steps.hpp"

namespace mxlab::algorithms {
namespace {

class Gptvq final : public PtqAlgorithm {
 public:
  Gptvq(GptvqOptions opt, bool quantized_inputs, bool shape_given)
      : opt_(opt), quantized_inputs_(quantized_inputs), shape_given_(shape_given) {}
  std::string_view name() const override { return "gptvq"; }
  bool streams() const override { return true; }
  void run(PtqContext& ctx) const override {
    std::uint64_t bits = 0, weights = 0;
    double before = 0, after = 0;
    GptvqOptions used = opt_;  // the last layer's options (a VQ weight format sets D, bits and codebook storage)
    quantize_sequentially(ctx, "gptvq", quantized_inputs_, [&](LinearId id, const Eigen::MatrixXd& H, std::ostream& line) {
      model::Linear& lin = ctx.weights->linear(id);
      const model::TensorQuant quant = ctx.weight_format(id);
      const FormatTraits* vq = quant.format && traits(*quant.format).family == Family::vq ? &traits(*quant.format) : nullptr;
      if (!vq && ctx.scheme.gemm == model::GemmMode::exact)
        throw std::invalid_argument("gptvq: --gemm exact needs a VQ weight format (--weights vq2_d2, vq3_d1, ...)");
      if (vq && shape_given_)
        throw std::invalid_argument(std::string("gptvq: the weight format ") + vq->name +
                                    " fixes dim, bits, group, columns and codebook; drop those parameters");
      GptvqOptions o = opt_;
      if (vq) o.dim = vq->vq_dim, o.bits = vq->vq_bits, o.storage = VqStorage::int8,
              o.columns = quant.block_for(static_cast<int>(lin.in())), o.rows_per_group = 1;
      if (vq) resolve_block(*vq, {.block = o.columns});  // a multiple of D: the codebook groups are the blocks
      o.seed = mix(opt_.seed, id);
      used = o;
      GptvqResult r = gptvq_quantize(lin.weight, H, o);
      std::vector<std::uint8_t> scales = vq ? vq_block_scales(r, lin.out(), lin.in()) : std::vector<std::uint8_t>{};
      lin.weight = std::move(r.weight);
      bits += r.bits;
      weights += static_cast<std::uint64_t>(lin.weight.size());
      before += r.error_before_update;
      after += r.error_after_update;
      // The run record needs an entry per quantized linear; the VQ weight is used as is. A VQ format gets its
      // blocks (codebooks); otherwise no block scales exist (the record's format is the scheme's placeholder).
      ctx.scales[id] = WeightScales{quant, lin.out(), lin.in(), quant.block_for(lin.in()), std::move(scales), 1.0f};
      line << " " << model::kind_name(id.kind) << " " << r.bits_per_weight() << " bpw loss " << r.loss;
    });
    std::ostringstream total;
    total << "  gptvq: D=" << used.dim << " bits=" << used.bits << " " << (used.storage == VqStorage::int8 ? "int8" : "fp16")
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
  bool shape_given_;  // dim, bits, group, columns or codebook given: refused with a VQ weight format
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
  const bool shape_given = p.has("dim") || p.has("bits") || p.has("group") || p.has("columns") || p.has("codebook");
  return std::make_unique<Gptvq>(o, p.choice("hessian_from", "float", {"float", "quantized"}) == "quantized", shape_given);
}

}  // namespace mxlab::algorithms
