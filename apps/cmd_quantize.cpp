// `mxlab quantize`: fake-quantize a float32 tensor file in any format; optionally write the packed encoding.
#include <cmath>
#include <iostream>

#include "apps/commands.hpp"
#include "apps/tensor_io.hpp"
#include "formats/atomic_file.hpp"
#include "formats/format.hpp"
#include "formats/packed.hpp"
#include "model/quant_scheme.hpp"

namespace mxlab::cli {
namespace {
struct QuantizeArgs {
  std::string format, round = "even", in, out, packed;
  std::string block = "0";
  std::uint64_t seed = 0;
  bool tensor_scale = false;
  bool flush_subnormals = false;
};

// Two of --in/--out/--packed naming the same file would overwrite the input or mix two outputs.
void reject_same_paths(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> seen;
  for (const auto& p : paths) {
    if (p.empty()) continue;
    const auto canonical = std::filesystem::weakly_canonical(p);
    for (const auto& q : seen)
      if (q == canonical) throw std::runtime_error("--in, --out and --packed must name different files (" + p + ")");
    seen.push_back(canonical);
  }
}

void run_quantize(const QuantizeArgs& a) {
  const FormatTraits& t = find_format(a.format);
  const int block = model::parse_block(a.block);
  QuantConfig cfg{.round = parse_round(a.round), .block = std::max(block, 0), .seed = a.seed,
                  .tensor_scale = a.tensor_scale, .flush_subnormal_inputs = a.flush_subnormals};
  resolve_block(t, cfg);
  reject_same_paths({a.in, a.out, a.packed});
  Tensor x = read_tensor(a.in);
  if (x.values.empty()) throw std::invalid_argument(a.in + ": the tensor is empty (nothing to quantize)");
  if (block == model::kBlockRow && !x.values.empty())  // one block per row: the last axis (raw .f32: the whole array)
    cfg.block = static_cast<int>(x.shape.empty() || x.shape.back() == 0 ? x.values.size() : x.shape.back());
  Tensor y{x.shape, std::vector<float>(x.values.size())};
  // The packed encoding is the reference encoder's output; the fake-quant file is decode(packed), which the
  // fast path reproduces bit for bit (tests/formats), so both files always agree.
  const PackedTensor p = encode_ref(t.id, x.values, cfg);
  decode(p, y.values);
  AtomicFile out(a.out);  // both outputs or neither
  out.write(tensor_file_bytes(a.out, y));
  if (!a.packed.empty()) AtomicFile::write_file(a.packed, serialize(p));
  out.commit();
  // SQNR over the values finite in and out: a NaN/Inf input makes its whole block NaN (the spec's rule), and those
  // blocks are counted, not folded into the ratio.
  double se = 0, ss = 0;
  std::size_t non_finite = 0;
  for (std::size_t i = 0; i < x.values.size(); ++i) {
    if (!std::isfinite(x.values[i]) || !std::isfinite(y.values[i])) {
      ++non_finite;
      continue;
    }
    se += std::pow(double(x.values[i]) - y.values[i], 2);
    ss += double(x.values[i]) * x.values[i];
  }
  std::cerr << "quantized " << x.values.size() << " values as " << t.name << " (block " << p.block << ", "
            << t.bits_per_weight(p.block) << " bits/weight, round " << round_name(cfg.round) << "): SQNR "
            << (non_finite == x.values.size() ? NAN : se > 0 ? 10 * std::log10(ss / se) : INFINITY) << " dB";
  if (non_finite) std::cerr << " over the finite values (" << non_finite << " non-finite in or out: NaN/Inf blocks)";
  std::cerr << " -> " << a.out << "\n";
}
}  // namespace

void add_quantize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "Fake-quantize a float32 tensor (.f32 raw or .npy) in a format");
  static QuantizeArgs a;
  cmd->add_option("--format", a.format, "Format name (see `mxlab formats`)")->required();
  cmd->add_option("--round", a.round, "Rounding: even | nearest | floor | stochastic")->capture_default_str();
  cmd->add_option("--block", a.block, "Values per block/group (0 = the format's default, row = the last axis)")
      ->capture_default_str();
  cmd->add_option("--seed", a.seed, "Seed for stochastic rounding")->capture_default_str();
  cmd->add_flag("--tensor-scale", a.tensor_scale, "nvfp4: add the FP32 per-tensor scale (amax / 2688)");
  cmd->add_flag("--flush-subnormals", a.flush_subnormals, "Treat float32 subnormal inputs as zeros");
  cmd->add_option("--in", a.in, "Input float32 tensor (.f32 or .npy)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--out", a.out, "Output: dequantized float32 (.f32 or .npy)")->required();
  cmd->add_option("--packed", a.packed, "Also write the bit-exact packed encoding (MXLP file)");
  cmd->callback([] { run_quantize(a); });
}

}  // namespace mxlab::cli
