// Real operands for `mxlab cost` (library mxlab::cost_operands, which depends on model/; mxlab::cost does not): the
// weights of one stories260K linear layer and its real input activations from an FP32 forward pass.
#pragma once
#include <string>

#include "rtl/cost/stimulus.hpp"

namespace mxlab::cost {

// Layer 0's attention query projection (wq, 64 x 64) of models/stories260K.bin and its inputs (the RMS-normed hidden
// states, captured by the runtime's LinearObserver) for the first `tokens` tokens (BOS first, tok512.bin) of the
// first story of text/tinystories-valid-dev.txt. Throws when a file is missing or the story is shorter.
Operands stories260k_operands(const std::string& data_dir, int tokens = 16);

}  // namespace mxlab::cost
