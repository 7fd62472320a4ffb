// Progress bars with ETA on stderr for the long steps (loading, calibration, per-layer PTQ, eval windows): drawn
// only when stderr is a terminal and progress is not silenced (--quiet); one line redrawn in place, at most about
// five times a second, so nothing is written when the output goes to a file or a pipe.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace mxlab::model {

class Progress {
 public:
  Progress(std::string label, std::size_t total);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  ~Progress();  // ends the line (when anything was drawn)

  void step(std::size_t n = 1) { set(done_ + n); }
  void set(std::size_t done);

  static void set_quiet(bool quiet);  // process-wide (the commands' --quiet)
  static bool enabled();              // stderr is a terminal and not quiet

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  std::size_t total_, done_ = 0;
  bool on_, drawn_ = false;
  Clock::time_point start_, last_;
  void draw();
};

}  // namespace mxlab::model
