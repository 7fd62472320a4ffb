// SRAM energy interpolation between Horowitz's array sizes (memory.hpp).
#include "rtl/cost/memory.hpp"

#include <cmath>

namespace mxlab::cost {

double sram_pj_per_byte(double bytes, double node_nm, double vdd) {
  const MemoryFigure pts[] = {kSram8K, kSram32K, kSram1M};
  double pj = pts[0].pj_per_64b;
  if (bytes >= pts[2].capacity_bytes) {
    pj = pts[2].pj_per_64b;
  } else if (bytes > pts[0].capacity_bytes) {
    const int i = bytes <= pts[1].capacity_bytes ? 0 : 1;
    const double t = std::log(bytes / pts[i].capacity_bytes) / std::log(pts[i + 1].capacity_bytes / pts[i].capacity_bytes);
    pj = std::exp(std::log(pts[i].pj_per_64b) + t * std::log(pts[i + 1].pj_per_64b / pts[i].pj_per_64b));
  }
  return scale_energy(pj / 8, node_nm, vdd);
}

}  // namespace mxlab::cost
