// The block dot unit configurations the project verilates: lanes, scale type and the element types each accepts.
#pragma once
#include <string>
#include <vector>

#include "formats/format.hpp"
#include "rtl/models/golden.hpp"

namespace mxlab::rtl {

struct UnitConfig {
  std::string name;  // mx_dot_any | mxfp4_dot | nvfp4_dot | fp4v_mac
  StimulusSpec stim;
};

// Throws std::invalid_argument naming the known units.
UnitConfig unit_config(const std::string& name);
std::vector<std::string> unit_names();

}  // namespace mxlab::rtl
