// Replays a golden-vector file (written by mxlab_rtl_golden from the reference) through the Verilated unit and
// through the C++ model, and counts mismatches of each against the file.
// Usage: mxlab_rtl_replay <unit> <file>, unit: any unit of rtl/units.json; exit 0 iff every line matched.
#include <exception>
#include <fstream>
#include <iostream>

#include "int_replay.hpp"
#include "reference_check.hpp"
#include "rtl/models/units.hpp"
#include "rtl/verilator/vdriver.hpp"

int main(int argc, char** argv) {
  using namespace mxlab::rtl;
  if (argc != 3) {
    std::cerr << "usage: mxlab_rtl_replay <unit> <golden.txt>\n";
    return 2;
  }
  try {
    const std::string unit = argv[1];
    const UnitConfig& u = unit_config(unit);
    std::ifstream in(argv[2]);
    if (!in) throw std::runtime_error(std::string("cannot open ") + argv[2]);
    if (u.kind != UnitKind::block_dot) return replay_int_golden(u, in);  // int_replay.cpp
    std::vector<BlockVector> v;
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') v.push_back(parse_golden_line(line, u.stim.n));
    const verilator::CosimStats st = verilator::stream_unit(unit, v);
    const ModelCheck model = check_model(v, u.stim.scale);
    std::cout << "[replay] " << unit << ": " << st.checked << " golden vectors checked, " << st.mismatches
              << " RTL mismatches, " << model.mismatches << " C++ model mismatches\n";
    return st.mismatches == 0 && model.mismatches == 0 && st.checked == v.size() && !v.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "mxlab_rtl_replay: " << e.what() << "\n";
    return 2;
  }
}
