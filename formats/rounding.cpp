// Rounding-mode names.
#include "formats/rounding.hpp"

#include <stdexcept>
#include <string>

namespace mxlab {

std::string_view round_name(Round r) {
  switch (r) {
    case Round::even: return "even";
    case Round::nearest: return "nearest";
    case Round::floor: return "floor";
    case Round::stochastic: return "stochastic";
  }
  return "?";
}

Round parse_round(std::string_view name) {
  for (Round r : {Round::even, Round::nearest, Round::floor, Round::stochastic})
    if (name == round_name(r)) return r;
  throw std::invalid_argument("unknown rounding mode '" + std::string(name) +
                              "' (known: even, nearest, floor, stochastic)");
}

}  // namespace mxlab
