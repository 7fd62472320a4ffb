// Replays a golden-vector file (written by mxlab_rtl_golden) through the Verilated unit and counts mismatches.
// Usage: mxlab_rtl_replay <unit> <file>; exit 0 iff every line matched.
#include <exception>
#include <fstream>
#include <iostream>

#include "rtl/models/units.hpp"
#include "vdriver.hpp"

namespace {
using namespace mxlab::rtl;
template <class V>
test::CosimStats replay(const std::vector<BlockVector>& v) {
  test::Dut<V> d;
  return test::stream_blocks(d, v);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: mxlab_rtl_replay <unit> <golden.txt>\n";
    return 2;
  }
  try {
    const std::string unit = argv[1];
    const UnitConfig u = unit_config(unit);
    std::ifstream in(argv[2]);
    if (!in) throw std::runtime_error(std::string("cannot open ") + argv[2]);
    std::vector<BlockVector> v;
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') v.push_back(parse_golden_line(line, u.stim.n));
    test::CosimStats st;
    if (unit == "mx_dot_any") st = replay<Vmxlab_mx_dot_any>(v);
    else if (unit == "mxfp4_dot") st = replay<Vmxlab_mxfp4_dot>(v);
    else if (unit == "nvfp4_dot") st = replay<Vmxlab_nvfp4_dot>(v);
    else st = replay<Vmxlab_fp4v_mac>(v);
    std::cout << "[replay] " << unit << ": " << st.checked << " golden vectors checked, " << st.mismatches
              << " mismatches\n";
    return st.mismatches == 0 && st.checked == v.size() && !v.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "mxlab_rtl_replay: " << e.what() << "\n";
    return 2;
  }
}
