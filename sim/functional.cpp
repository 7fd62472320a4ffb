// Functional runs on sim/pe/'s PE array, checked against exact_gemm and the transaction-level cycle count.
#include "sim/functional.hpp"

#include <bit>
#include <cmath>
#include <random>
#include <stdexcept>

#include "formats/exact_gemm.hpp"
#include "rtl/models/units.hpp"
#include "sim/pe/pe_array.hpp"

namespace mxlab::sim {

namespace {
struct GemmOperand {
  std::vector<PackedTensor> rows;  // what the array streams (encode_ref of each row)
  ExactMatrix exact;               // what exact_gemm multiplies (the same quantization)
};

GemmOperand random_operand(Format f, std::int64_t rows, std::int64_t k, std::mt19937& rng) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(rows * k));
  for (float& v : x) v = d(rng);
  GemmOperand o;
  for (std::int64_t r = 0; r < rows; ++r)
    o.rows.push_back(encode_ref(f, std::span<const float>(x).subspan(static_cast<std::size_t>(r * k), static_cast<std::size_t>(k))));
  o.exact = ExactMatrix::quantize(f, {}, x, static_cast<int>(rows), static_cast<int>(k));
  return o;
}
}  // namespace

std::vector<FunctionalGemm> functional_check(const SimResult& r, double max_macs, std::uint32_t seed) {
  if (r.arch.dataflow != Dataflow::output_stationary)
    throw std::invalid_argument("functional mode: the PE array of sim/pe/ is output stationary; " + r.arch.name +
                                " is " + dataflow_name(r.arch.dataflow));
  if (rtl::unit_config(r.pe.unit).kind != rtl::UnitKind::block_dot)
    throw std::invalid_argument("functional mode: the PE is " + r.pe.unit + ", a " +
                                std::string(rtl::unit_kind_name(rtl::unit_config(r.pe.unit).kind)) +
                                " unit; sim/pe/ models block-dot PEs only, so it runs at transaction level only");
  std::mt19937 rng(seed);
  std::vector<FunctionalGemm> out;
  for (const GemmReport& g : r.gemms) {
    const Gemm& x = g.gemm;
    if (double(x.m) * double(x.n) * double(x.k) > max_macs)
      throw std::invalid_argument("functional mode: GEMM " + x.name + " has " +
                                  std::to_string(double(x.m) * x.n * x.k) + " MACs (limit " + std::to_string(max_macs) +
                                  "): use a small shape, e.g. --shape stories260k");
    const GemmOperand a = random_operand(x.a_fmt, x.m, x.k, rng), w = random_operand(x.w_fmt, x.n, x.k, rng);
    std::vector<float> want(static_cast<std::size_t>(x.m * x.n));
    exact_gemm(a.exact, w.exact, r.acc, want);
    PeConfig cfg = PeConfig::from_unit(r.pe.unit);
    cfg.acc = r.acc;
    const ArrayRun run = run_gemm(r.arch.rows, r.arch.cols, cfg, make_cpp_pe, a.rows, w.rows);
    FunctionalGemm f;
    f.name = x.name;
    f.array_cycles = static_cast<std::int64_t>(run.cycles);
    f.transaction_cycles = g.fold_cycles / x.count + r.pe.latency - 1;
    f.outputs = want.size();
    for (std::size_t i = 0; i < want.size(); ++i)
      if (!(std::isnan(want[i]) && std::isnan(run.out[i])) &&
          std::bit_cast<std::uint32_t>(want[i]) != std::bit_cast<std::uint32_t>(run.out[i]))
        ++f.mismatches;
    out.push_back(f);
  }
  return out;
}

nlohmann::json to_json(const std::vector<FunctionalGemm>& f) {
  nlohmann::json j = nlohmann::json::array();
  for (const FunctionalGemm& g : f)
    j.push_back({{"name", g.name}, {"array_cycles", g.array_cycles}, {"transaction_cycles", g.transaction_cycles},
                 {"outputs", g.outputs}, {"mismatches", g.mismatches}});
  return j;
}

}  // namespace mxlab::sim
