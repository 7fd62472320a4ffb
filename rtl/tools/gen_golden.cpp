// Writes golden vectors for a catalog unit (adversarial first, then seeded random); the expected accumulator and
// flags come from the independent reference (rtl/models/oracle_reference.hpp), not from the C++ model under test.
// Usage: mxlab_rtl_golden <unit> <random count> <seed> <out.txt>; unit: any unit of rtl/units.json.
#include <exception>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "formats/atomic_file.hpp"
#include "rtl/models/int_reference.hpp"
#include "rtl/models/oracle_reference.hpp"
#include "rtl/models/units.hpp"

int main(int argc, char** argv) {
  using namespace mxlab;
  using namespace mxlab::rtl;
  if (argc != 5) {
    std::cerr << "usage: mxlab_rtl_golden <unit> <random count> <seed> <out.txt>\n";
    return 1;
  }
  try {
    const UnitConfig& u = unit_config(argv[1]);
    const std::size_t count = std::stoull(argv[2]);
    const std::uint64_t seed = std::stoull(argv[3]);
    if (u.kind != UnitKind::block_dot) {  // integer units: rtl/models/int_reference.hpp (lines: see there)
      std::ostringstream text;
      text << int_golden_header(u, seed);
      std::size_t lines = 0;
      if (u.kind == UnitKind::int_mac)
        for (const IntStep& s : int_mac_stimulus(u, count, seed)) text << int_golden_line(s) << '\n', ++lines;
      else
        for (const VqStep& s : vq_mac_stimulus(u, count, seed))
          text << vq_golden_line(s, u.param("IDX_BITS")) << '\n', ++lines;
      AtomicFile::write_file(argv[4], text.str());
      std::cout << "mxlab_rtl_golden: " << lines << " lines for " << u.name << " -> " << argv[4] << "\n";
      return 0;
    }
    std::vector<BlockVector> v = adversarial_blocks(u.stim);
    auto rnd = random_blocks(u.stim, count, seed);
    if (!rnd.empty()) rnd.front().clear = true;
    v.insert(v.end(), rnd.begin(), rnd.end());
    const reference::Coverage cov = reference::expect(v, u.stim.scale);
    std::ostringstream text;
    text << golden_header(u.name, u.stim.n, u.stim.scale, seed);
    for (const BlockVector& x : v) text << golden_line(x) << '\n';
    AtomicFile::write_file(argv[4], text.str());
    std::cout << "mxlab_rtl_golden: " << v.size() << " vectors for " << u.name << " -> " << argv[4] << " ("
              << cov.str() << ")\n";
  } catch (const std::exception& e) {
    std::cerr << "mxlab_rtl_golden: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
