// Golden replay of the integer units (int_mac, vq_mac kinds): the file's lines through the Verilated unit and through
// the C++ model (IntMacModel / VqMacModel); the expected values in the file come from rtl/models/int_reference.hpp.
#pragma once
#include <istream>

#include "rtl/models/units.hpp"

namespace mxlab::rtl {
// Prints one "[replay]" line; returns 0 iff the RTL and the model matched every line of a non-empty file, else 1.
int replay_int_golden(const UnitConfig& u, std::istream& in);
}  // namespace mxlab::rtl
