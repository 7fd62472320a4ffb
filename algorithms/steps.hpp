// Factories of the registered PTQ algorithms (each defined in its own file).
#pragma once
#include <memory>

#include "algorithms/ptq.hpp"

namespace mxlab::algorithms {
std::unique_ptr<PtqAlgorithm> make_rtn();
std::unique_ptr<PtqAlgorithm> make_smoothquant();
std::unique_ptr<PtqAlgorithm> make_awq();
std::unique_ptr<PtqAlgorithm> make_gptq();
}  // namespace mxlab::algorithms
