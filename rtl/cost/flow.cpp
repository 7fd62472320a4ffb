// The build's tool paths and flow files for `mxlab cost` (cost.hpp: build_flow), from the generated flow_config.hpp.
#include "rtl/cost/cost.hpp"
#include "rtl/cost/flow_config.hpp"

namespace mxlab::cost {

Flow build_flow() {
  namespace c = config;
  Flow f{c::kCmake, c::kYosys, c::kSta, c::kIverilog, c::kVvp, c::kSynthDir, c::kSynthDriver, c::kDontUseScript,
         c::kDontUsePattern, {}, c::kLiberty, c::kCacheDir};
  for (const char* p : c::kFlowFiles) f.flow_files.push_back(p);
  return f;
}

}  // namespace mxlab::cost
