// Helpers of the experiments tests: a scratch directory, file writing, the CLI, and a small sweep spec.
#pragma once
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "experiments/result_store.hpp"
#include "experiments/runner.hpp"

namespace mxlab::experiments::test {

namespace fs = std::filesystem;

// A fresh directory under the system temp directory, removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("mxlab_sweep_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Standard output of a shell command ("" when it cannot be started).
inline std::string command_output(const std::string& cmd) {
  std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  while (pipe && std::fgets(buf, sizeof buf, pipe.get())) out += buf;
  return out;
}

inline bool have_data() { return fs::exists(fs::path(MXLAB_DATA_DIR) / "models/stories260K.bin"); }

// A small, fast spec on stories260K: 512 evaluated tokens per text (one window), 2 x 64 generated calibration
// tokens; `grid` is the body of its [grid] table and `extra` follows it.
inline std::string small_spec(const std::string& grid, const std::string& extra = "") {
  return "[model]\nmodel = \"models/stories260K.bin\"\n[eval]\ntokens = 1024\n"
         "[calibration]\nsamples = 2\nlength = 64\nseed = 7\n[grid]\n" + grid + "\n" + extra;
}

// Runs small_spec(grid) in process into DIR/r.h5; returns the parsed spec and the store read back.
inline std::pair<SweepSpec, StoreContents> run_small_sweep(const ScratchDir& d, const std::string& grid) {
  write_text(d / "s.toml", small_spec(grid));
  SweepSpec spec = load_spec(d / "s.toml", MXLAB_DATA_DIR);
  SweepOptions o;
  o.out = d / "r.h5";
  run_sweep(spec, o);
  return {std::move(spec), read_store(o.out)};
}

}  // namespace mxlab::experiments::test
