// The sweep runner: one PTQ session per spec (model, calibration windows, evaluation texts and FP32 reference
// loaded once), then every point through the stages, each finished point stored before the next begins.
//
// Crash safety and resume: each finished point (ok or failed) is written to its own file RESULTS.h5.d/<name>.h5
// (temporary file, fsync, rename) and RESULTS.h5 is then rebuilt from the point files (temporary file, rename).
// Why not one HDF5 file updated in place: HDF5 1.10 has no journal, and a process killed while the library holds
// dirty metadata can leave the whole file unreadable; a rename is atomic, so every file is always either the
// old complete version or the new one. A rerun keeps every point file whose stored config (point, session with
// file sha256s, hardware; file locations aside) equals the spec's, recomputes nothing else, and rebuilds
// RESULTS.h5 from the spec's points (point files of points no longer in the spec stay, unmerged). A stored ok point
// whose config differs only in [hardware] keeps its PTQ results: only the hardware stages (PointStage::hardware_only)
// run again, on the stored record with its cost.* / accel.* columns dropped.
#pragma once
#include <filesystem>
#include <string>

#include <memory>
#include <vector>

#include "algorithms/ptq.hpp"
#include "experiments/point_stage.hpp"
#include "experiments/shard.hpp"
#include "experiments/sweep_spec.hpp"

namespace mxlab::experiments {

struct SweepOptions {
  std::filesystem::path out;   // RESULTS.h5 (point files go to RESULTS.h5.d/)
  bool retry_failed = false;   // recompute points stored as failed (kept otherwise)
  algorithms::PtqLog log;      // progress lines (may be empty)
  std::vector<std::shared_ptr<const PointStage>> stages;  // empty = make_stages(spec)
  const Shard* shard = nullptr;  // MPI ranks (nullptr: one process computes every point)
  // Points computed at a time in this process (each on its own thread, serial inside: one OpenMP thread, the
  // same numbers as jobs = 1), sharing the session (model, calibration, FP32 reference) read-only. Hardware
  // stages (cost, accelerator: shared on-disk caches) run one point at a time. With MPI: jobs per rank.
  int jobs = 1;
};

struct SweepSummary {
  std::size_t points = 0, computed = 0, kept = 0, failed = 0;
  double seconds = 0;
};

// The directory of the point files of `out`: "<out>.d".
std::filesystem::path point_dir(const std::filesystem::path& out);

// Runs (or resumes) the sweep (throws std::invalid_argument when jobs < 1); with a shard of K ranks, each rank computes every K-th point left, writes its own
// point files, and rank 0 (which holds the lock) merges after its points and once more when all ranks are done;
// the summary's counts are over all ranks. Throws std::runtime_error when the output cannot be written or another sweep holds
// its lock; a point that throws is recorded as failed with its error and the sweep goes on.
SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& opt);

}  // namespace mxlab::experiments
