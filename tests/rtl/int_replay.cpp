// Golden replay of the integer units (int_replay.hpp).
#include "int_replay.hpp"

#include <iostream>
#include <string>

#include "rtl/models/int_mac_model.hpp"
#include "rtl/verilator/int_driver.hpp"

namespace mxlab::rtl {

int replay_int_golden(const UnitConfig& u, std::istream& in) {
  std::size_t lines = 0, vectors = 0, model_mism = 0;
  verilator::CosimStats st;
  if (u.kind == UnitKind::int_mac) {
    std::vector<IntStep> v;
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') v.push_back(parse_int_golden_line(line, u.stim.n));
    IntMacModel model(u.stim.elems_a.at(0), u.stim.elems_b.at(0), 32);
    for (const IntStep& s : v) model_mism += model.step(s.clear, s.a, s.b) != s.acc;
    st = verilator::stream_int_unit(u.name, v);
    lines = vectors = v.size();
  } else {
    const int dim = u.param("D"), idx_bits = u.param("IDX_BITS");
    std::vector<VqStep> v;
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') v.push_back(parse_vq_golden_line(line, u.stim.n, dim, idx_bits));
    VqMacModel model(dim, idx_bits, 32);
    for (const VqStep& s : v) {
      if (s.write) {
        model.write(s.addr, s.cw);
      } else {
        model_mism += model.step(s.clear, s.idx, s.x) != s.acc;
        ++vectors;
      }
    }
    st = verilator::stream_vq_unit(u.name, v);
    lines = v.size();
  }
  std::cout << "[replay] " << u.name << ": " << lines << " golden lines, " << st.checked << " vectors checked, "
            << st.mismatches << " RTL mismatches, " << model_mism << " C++ model mismatches\n";
  return st.mismatches == 0 && model_mism == 0 && st.checked == vectors && vectors > 0 ? 0 : 1;
}

}  // namespace mxlab::rtl
