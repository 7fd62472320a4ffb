// Writes golden vectors for a block dot unit from the C++ bit-exact model (adversarial first, then seeded random).
// Usage: mxlab_rtl_golden <unit> <random count> <seed> <out.txt>; unit: mx_dot_any | mxfp4_dot | nvfp4_dot | fp4v_mac.
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "rtl/models/units.hpp"

int main(int argc, char** argv) {
  using namespace mxlab;
  using namespace mxlab::rtl;
  if (argc != 5) {
    std::cerr << "usage: mxlab_rtl_golden <unit> <random count> <seed> <out.txt>\n";
    return 1;
  }
  try {
    const UnitConfig u = unit_config(argv[1]);
    const std::size_t count = std::stoull(argv[2]);
    const std::uint64_t seed = std::stoull(argv[3]);
    std::vector<BlockVector> v;
    for (Elem ea : u.stim.elems_a)
      for (Elem eb : u.stim.elems_b) {
        auto adv = adversarial_blocks(u.stim, ea, eb);
        v.insert(v.end(), adv.begin(), adv.end());
      }
    auto rnd = random_blocks(u.stim, count, seed);
    if (!rnd.empty()) rnd.front().clear = true;
    v.insert(v.end(), rnd.begin(), rnd.end());
    run_model(v, u.stim.scale);
    const std::filesystem::path out = argv[4], tmp = std::string(argv[4]) + ".tmp";
    {
      std::ofstream f(tmp);
      f << golden_header(u.name, u.stim.n, u.stim.scale, seed);
      for (const BlockVector& x : v) f << golden_line(x) << '\n';
      if (!f) throw std::runtime_error("cannot write " + tmp.string());
    }
    std::filesystem::rename(tmp, out);
    std::cout << "mxlab_rtl_golden: " << v.size() << " vectors for " << u.name << " -> " << out.string() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "mxlab_rtl_golden: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
