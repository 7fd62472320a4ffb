// Terminal progress bar with elapsed time and ETA (linear extrapolation of the rate so far).
#include "model/progress.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace mxlab::model {
namespace {

std::atomic<bool> g_quiet{false};

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

void Progress::set_quiet(bool quiet) { g_quiet = quiet; }
bool Progress::enabled() { return !g_quiet && ::isatty(STDERR_FILENO); }

Progress::Progress(std::string label, std::size_t total)
    : label_(std::move(label)), total_(total), on_(enabled() && total > 0), start_(Clock::now()), last_(start_) {
  if (on_) draw();
}

Progress::~Progress() {
  if (!on_ || !drawn_) return;
  if (done_ < total_) draw();  // an early end (error): leave the last state visible
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void Progress::set(std::size_t done) {
  done_ = done < total_ ? done : total_;
  if (!on_) return;
  const auto now = Clock::now();
  if (done_ < total_ && now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  draw();
}

void Progress::draw() {
  constexpr int kWidth = 24;
  const double frac = static_cast<double>(done_) / static_cast<double>(total_);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  std::string bar(kWidth, ' ');
  for (int i = 0; i < static_cast<int>(frac * kWidth); ++i) bar[static_cast<std::size_t>(i)] = '#';
  std::string eta = done_ == 0 ? "--:--" : clock_text(elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_));
  std::fprintf(stderr, "\r%s [%s] %zu/%zu %3d%% %s elapsed, ETA %s ", label_.c_str(), bar.c_str(), done_, total_,
               static_cast<int>(frac * 100), clock_text(elapsed).c_str(), eta.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace mxlab::model
