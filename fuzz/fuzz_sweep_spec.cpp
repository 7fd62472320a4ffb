// Fuzzes the sweep spec parser (experiments/sweep_spec parse_spec): TOML text, resolved against a scratch directory
// that holds the few (empty) files a spec may name; a spec naming a missing file must give a SpecError, not a crash.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "algorithms/ptq_run.hpp"
#include "experiments/sweep_spec.hpp"
#include "fuzz/fuzz_util.hpp"

namespace fs = std::filesystem;

namespace {
// <scratch>/spec/{spec.toml (never written: the parser gets the text), calib.txt, data/{models,text,pdk}/...}.
const mxlab::fuzz::ScratchFile& scratch() {
  static const mxlab::fuzz::ScratchFile dir("spec");
  static const bool made = [] {
    std::vector<fs::path> files = {"calib.txt", "data/models/stories260K.bin", "data/models/tok512.bin",
                                   "data/pdk/sky130_fd_sc_hd__tt_025C_1v80.lib"};
    for (const auto& [name, file] : mxlab::algorithms::kDefaultEvalTexts) files.push_back("data" / file);
    for (const fs::path& f : files) {
      fs::create_directories((dir.path() / f).parent_path());
      std::FILE* out = std::fopen((dir.path() / f).c_str(), "w");
      if (!out) __builtin_trap();
      std::fclose(out);
    }
    return true;
  }();
  (void)made;
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& dir = scratch().path();
  try {
    const auto s = mxlab::experiments::parse_spec(std::string(reinterpret_cast<const char*>(data), size),
                                                  dir / "spec.toml", dir / "data");
    if (s.points.empty()) __builtin_trap();  // a spec without points must be refused
    for (const auto& p : s.points) (void)p.to_json().dump();
    (void)s.hardware.to_json().dump();
  } catch (const std::exception&) {
  }
  return 0;
}
