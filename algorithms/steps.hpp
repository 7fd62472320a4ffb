// Factories of the registered PTQ algorithms (each defined in its own file), each parsing its own parameters.
#pragma once
#include <memory>

#include "algorithms/ptq.hpp"

namespace mxlab::algorithms {
std::unique_ptr<PtqAlgorithm> make_rtn(const StepParams& p);
std::unique_ptr<PtqAlgorithm> make_smoothquant(const StepParams& p);
std::unique_ptr<PtqAlgorithm> make_awq(const StepParams& p);
std::unique_ptr<PtqAlgorithm> make_gptq(const StepParams& p);
std::unique_ptr<PtqAlgorithm> make_gptvq(const StepParams& p);
std::unique_ptr<PtqAlgorithm> make_lsaq(const StepParams& p);
std::unique_ptr<PtqAlgorithm> make_llm_fp4(const StepParams& p);
std::unique_ptr<PtqAlgorithm> make_aweq(const StepParams& p);
}  // namespace mxlab::algorithms
