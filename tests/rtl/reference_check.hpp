// The cosim streams' expectations: every step's accumulator bits and flags from the independent reference
// (rtl/models/oracle_reference.hpp), and the C++ model checked against the same reference on the same stream.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "rtl/models/oracle_reference.hpp"

namespace mxlab::rtl {

struct ModelCheck {
  std::size_t checked = 0;
  std::size_t mismatches = 0;
};
// Runs the C++ model (BlockDotModel) over `v` in order and compares each step with v's expected acc and flags.
ModelCheck check_model(const std::vector<BlockVector>& v, ScaleType scale, const AccFormat& f = {});

struct ReferenceRun {
  reference::Coverage cov;
  ModelCheck model;
};
// Fills v's expectations from the reference, then checks the model against them; prints one line
// "[reference] <unit> <what>: <coverage>; model vs reference: N steps, M mismatches".
ReferenceRun expect_from_reference(std::vector<BlockVector>& v, ScaleType scale, const std::string& unit,
                                   const std::string& what, const AccFormat& f = {});

}  // namespace mxlab::rtl
