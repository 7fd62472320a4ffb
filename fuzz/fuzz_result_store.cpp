// Fuzzes HDF5 result reading (experiments/result_store read_store_image): the input is a result file's bytes, checked
// in plain C++ (superblock and every object header checksum, experiments/h5_superblock) and then opened in memory by
// HDF5's core driver; what reads must be a consistent record, anything else a std::runtime_error.
#include <cstdint>
#include <exception>
#include <span>

#include "experiments/result_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto s = mxlab::experiments::read_store_image(std::span(data, size), "fuzz.h5");
    for (std::size_t i = 1; i < s.points.size(); ++i)
      if (s.points[i - 1].index > s.points[i].index) __builtin_trap();  // read_store sorts by index
    for (const auto& p : s.points) (void)p.ok(), (void)p.config.dump();
  } catch (const std::exception&) {
  }
  return 0;
}
