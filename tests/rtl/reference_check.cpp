// Expectations from the independent reference and the C++ model checked against them (reference_check.hpp).
#include "reference_check.hpp"

#include <cstdio>

namespace mxlab::rtl {

ModelCheck check_model(const std::vector<BlockVector>& v, ScaleType scale, const AccFormat& f) {
  ModelCheck st;
  BlockDotModel m(scale, f);
  for (const BlockVector& x : v) {
    const AccResult r = m.step(x.pair());
    ++st.checked;
    if ((r.bits != x.acc || r.flags != x.flags) && ++st.mismatches <= 5)
      std::printf("MODEL MISMATCH #%zu: %s\n   model acc %08llX flags %02X\n", st.checked - 1, golden_line(x).c_str(),
                  static_cast<unsigned long long>(r.bits), r.flags);
  }
  return st;
}

ReferenceRun expect_from_reference(std::vector<BlockVector>& v, ScaleType scale, const std::string& unit,
                                   const std::string& what, const AccFormat& f) {
  ReferenceRun r;
  r.cov = reference::expect(v, scale, f);
  r.model = check_model(v, scale, f);
  std::printf("[reference] %s %s (acc %s): %s; model vs reference: %zu steps, %zu mismatches\n", unit.c_str(),
              what.c_str(), f.name().c_str(), r.cov.str().c_str(), r.model.checked, r.model.mismatches);
  return r;
}

}  // namespace mxlab::rtl
