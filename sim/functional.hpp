// Functional mode: the workload's GEMMs computed for real on the cycle-level output-stationary PE array (sim/pe/),
// outputs checked bit for bit against formats/exact_gemm.hpp (the runtime's `--gemm exact`) and array cycles against
// the transaction-level count of the same GEMM. For small configurations (cycle-by-cycle SystemC).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/simulate.hpp"

namespace mxlab::sim {

struct FunctionalGemm {
  std::string name;
  std::int64_t array_cycles = 0;        // the functional array (edge that takes the last result)
  std::int64_t transaction_cycles = 0;  // one instance's fold cycles + LAT - 1
  std::size_t outputs = 0, mismatches = 0;  // outputs differing from exact_gemm (bits; NaN = NaN)
};

// One instance of each GEMM of `r` with seeded normal operands in r's formats and accumulator. Throws
// std::invalid_argument for a weight-stationary architecture (the functional array is output stationary) or when a
// GEMM has more than max_macs MACs.
std::vector<FunctionalGemm> functional_check(const SimResult& r, double max_macs = 5e7, std::uint32_t seed = 1);
nlohmann::json to_json(const std::vector<FunctionalGemm>& f);

}  // namespace mxlab::sim
