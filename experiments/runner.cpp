// The sweep runner: resume from point files, run the rest through the stages, store each point atomically.
#include "experiments/runner.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "algorithms/parallel.hpp"
#include "experiments/point_stage.hpp"
#include "experiments/provenance.hpp"
#include "experiments/result_store.hpp"

namespace mxlab::experiments {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Holds an exclusive flock on <dir>/.lock for the sweep's lifetime (released by the kernel on SIGKILL too).
class DirLock {
 public:
  explicit DirLock(const fs::path& dir) : fd_(::open((dir / ".lock").c_str(), O_CREAT | O_RDWR, 0644)) {
    if (fd_ < 0) throw std::runtime_error(dir.string() + ": cannot create the lock file (is the directory writable?)");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw std::runtime_error(dir.string() + ": another sweep is writing these results (lock held)");
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_;
};

nlohmann::json file_record(const fs::path& p) { return {{"file", p.string()}, {"sha256", sha256_file(p)}}; }

// What the session computes from: files with their hashes and the calibration/evaluation settings.
nlohmann::json session_json(const algorithms::PtqSessionOptions& o) {
  nlohmann::json texts = nlohmann::json::array();
  for (const auto& [name, file] : o.eval_texts) {
    nlohmann::json t = file_record(file);
    t["name"] = name;
    texts.push_back(t);
  }
  return {{"model", file_record(o.model)},
          {"tokenizer", file_record(o.tokenizer)},
          {"eval_texts", texts},
          {"eval_tokens", o.eval_tokens},
          {"calibration",
           {{"text", o.calib.text.empty() ? nlohmann::json(nullptr) : file_record(o.calib.text)},
            {"samples", o.calib.samples},
            {"length", o.calib.length},
            {"seed", o.calib.seed},
            {"allow_overlap", o.allow_overlap}}}};
}

// What decides whether a stored point is still valid: its config without file locations (a moved data
// directory with the same file contents keeps its results; the sha256 fields decide).
nlohmann::json identity(nlohmann::json j) {
  if (j.is_object()) {
    j.erase("file");
  }
  if (j.is_structured())
    for (auto& v : j) v = identity(v);
  return j;
}

nlohmann::json without_hardware(nlohmann::json config) {
  config.erase("hardware");
  return config;
}

bool hardware_key(const std::string& key) { return key.rfind("cost.", 0) == 0 || key.rfind("accel.", 0) == 0; }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Removes temporary files a killed writer left (the lock guarantees no live writer owns them).
void remove_stale_temps(const fs::path& dir, const fs::path& out) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path(), ec);
  const fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  const std::string prefix = out.filename().string() + ".tmp.";
  for (const auto& e : fs::directory_iterator(parent))
    if (e.path().filename().string().rfind(prefix, 0) == 0) fs::remove(e.path(), ec);
}

// One run of a sweep on one rank: the stored points it keeps, the points it computes, the merges (rank 0).
class SweepRun {
 public:
  SweepRun(const SweepSpec& spec, const SweepOptions& opt)
      : spec_(spec), opt_(opt), out_(opt.out), dir_(point_dir(opt.out)), n_(spec.points.size()), done_(n_, false) {
    sum.points = n_;
    spec_sha_ = sha256_hex(spec.text), commit_ = git_commit(), host_ = host_name();
    session_ = session_json(spec.session), hardware_ = spec.hardware.to_json();
    root_attrs_ = {{"format", kStoreFormat}, {"sweep", spec.name},   {"spec_file", fs::absolute(spec.file).string()},
                   {"spec", spec.text},      {"spec_sha256", spec_sha_}, {"git_commit", commit_},
                   {"host", host_},          {"hardware", hardware_.dump()}, {"updated", utc_now()}};
  }

  void say(const std::string& line) const {
    std::lock_guard<std::mutex> g(log_mutex_);
    if (opt_.log) opt_.log(line);
  }
  fs::path file(std::size_t i) const { return dir_ / (spec_.points[i].name() + ".h5"); }
  nlohmann::json config(std::size_t i) const {
    return {{"point", spec_.points[i].to_json()}, {"session", session_}, {"hardware", hardware_}};
  }
  std::string tag(std::size_t i) const {
    return "sweep: [" + std::to_string(i + 1) + "/" + std::to_string(n_) + "] " + spec_.points[i].name();
  }

  // The points left to compute; logs each kept one.
  std::vector<std::size_t> scan() {
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < n_; ++i) {
      if (fs::exists(file(i))) {
        std::optional<PointRecord> old;
        try {
          StoreContents c = read_store(file(i));
          if (c.points.size() == 1) old = std::move(c.points[0]);
        } catch (const std::exception& e) {
          say("sweep: " + file(i).string() + " unreadable, recomputing (" + e.what() + ")");
        }
        const bool same = old && identity(old->config) == identity(config(i));
        if (same && (old->ok() || !opt_.retry_failed)) {
          done_[i] = true;
          ++sum.kept;
          say(tag(i) + ": kept (" + (old->ok() ? "finished " : "failed ") + old->attrs["end_time"] + ")");
          continue;
        }
        if (old && !same && old->ok() && identity(without_hardware(old->config)) == identity(without_hardware(config(i)))) {
          say(tag(i) + ": only [hardware] differs from the stored point: keeping its PTQ results, rerunning the "
                       "hardware stages");
          restage_.emplace(i, std::move(*old));
        } else if (old && !same) {
          say(tag(i) + ": stored config differs from the spec, recomputing");
        }
      }
      todo.push_back(i);
    }
    return todo;
  }

  // RESULTS.h5 from the point files of the points marked done.
  void merge() const {
    std::vector<fs::path> files;
    for (std::size_t i = 0; i < n_; ++i)
      if (done_[i]) files.push_back(file(i));
    merge_point_files(out_, root_attrs_, files);
  }
  void mark_done(const std::vector<std::size_t>& points) {
    for (std::size_t i : points) done_[i] = true;
  }

  struct Progress {
    std::size_t total;
    Clock::time_point start;
    std::size_t finished = 0;
  };

  algorithms::PtqLog inner_log(const std::string& prefix) const {
    if (!opt_.log) return {};
    return [this, prefix](const std::string& l) { say("  " + prefix + l); };
  }

  // One point through the stages (hardware stages one point at a time when points run in parallel).
  PointRecord compute_point(std::size_t i, const algorithms::PtqSession& ptq,
                            const std::vector<std::shared_ptr<const PointStage>>& stages, const std::string& where,
                            bool parallel) {
    PointRecord rec;
    const auto kept = restage_.find(i);  // only [hardware] changed: the stored PTQ results, hardware columns dropped
    const bool hardware_only = kept != restage_.end();
    if (hardware_only) {
      rec = kept->second;
      std::erase_if(rec.metrics, [](const auto& m) { return hardware_key(m.first); });
      std::erase_if(rec.attrs, [](const auto& a) { return hardware_key(a.first); });
      rec.attrs["ptq_end_time"] = rec.attrs["end_time"];
    }
    rec.name = spec_.points[i].name();
    rec.index = i;
    rec.config = config(i);
    for (const auto& [k, v] : std::map<std::string, std::string>{
             {"start_time", utc_now()}, {"host", host_}, {"git_commit", commit_}, {"spec_sha256", spec_sha_}})
      rec.attrs[k] = v;
    say(tag(i) + (hardware_only ? ": computing the hardware stages" : ": computing") + where);
    const algorithms::PtqLog log = inner_log(parallel ? "[" + rec.name + "] " : "");
    const auto p0 = Clock::now();
    try {
      for (const auto& stage : stages) {
        if (hardware_only && !stage->hardware_only()) continue;
        std::unique_lock<std::mutex> one_at_a_time(hardware_mutex_, std::defer_lock);
        if (parallel && stage->hardware_only()) one_at_a_time.lock();
        stage->run({spec_, ptq, spec_.points[i], log}, rec);
      }
      rec.attrs["status"] = "ok";
    } catch (const std::exception& e) {
      rec.attrs["status"] = "failed";
      rec.attrs["error"] = e.what();
    }
    rec.metrics["seconds"] = std::chrono::duration<double>(Clock::now() - p0).count();
    rec.attrs["end_time"] = utc_now();
    return rec;
  }

  // Stores a computed point (and merges), counts it and prints its line with the sweep's ETA: the wall time per
  // finished point so far (points running in parallel included) times the points left.
  void finish(const PointRecord& rec, const std::string& where, bool merge_each, Progress& progress) {
    std::lock_guard<std::mutex> g(store_mutex_);
    write_point_file(file(rec.index), rec);
    done_[rec.index] = true;
    ++sum.computed;
    if (!rec.ok()) ++sum.failed;
    if (merge_each) merge();
    const std::size_t left = progress.total - ++progress.finished;
    const double wall = std::chrono::duration<double>(Clock::now() - progress.start).count();
    const std::string first_kl = spec_.session.eval_texts.empty() ? "" : spec_.session.eval_texts[0].first + ".kld_mean";
    say(tag(rec.index) +
        (rec.ok() ? ": ok in " + fmt("%.1f", rec.metric("seconds")) + " s, bits/weight " +
                        fmt("%.4g", rec.metric("bits_per_weight")) +
                        (first_kl.empty() ? "" : ", " + first_kl + " " + fmt("%.4g", rec.metric(first_kl)))
                  : ": FAILED in " + fmt("%.1f", rec.metric("seconds")) + " s: " + rec.attrs.at("error")) +
        "; " + std::to_string(left) + " left" + where + ", ETA " +
        fmt("%.0f", wall / static_cast<double>(progress.finished) * static_cast<double>(left)) + " s");
  }

  // Computes `mine` (opt.jobs points at a time), each point stored as soon as it is done; `merge_each`: rebuild
  // RESULTS.h5 after each.
  void compute(const std::vector<std::size_t>& mine, const std::string& where, bool merge_each) {
    const int jobs = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(opt_.jobs), mine.size()));
    const algorithms::PtqSession ptq = algorithms::prepare_session(spec_.session, inner_log(""));
    std::vector<std::shared_ptr<const PointStage>> stages = opt_.stages;
    if (stages.empty())
      for (auto& s : make_stages(spec_)) stages.push_back(std::move(s));
    Progress progress{mine.size(), Clock::now()};
    if (jobs <= 1) {
      for (std::size_t i : mine) finish(compute_point(i, ptq, stages, where, false), where, merge_each, progress);
      return;
    }
    // jobs threads take the points in order; each point runs serially inside (one OpenMP thread).
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;  // an error outside a point (e.g. the store): stops every worker, rethrown here
    auto worker = [&] {
      algorithms::serial_inside();
      try {
        for (std::size_t k; !failed_.load() && (k = next++) < mine.size();)
          finish(compute_point(mine[k], ptq, stages, where, true), where, merge_each, progress);
      } catch (...) {
        std::lock_guard<std::mutex> g(store_mutex_);
        if (!error) error = std::current_exception();
        failed_ = true;
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
  }

  SweepSummary sum;

 private:
  const SweepSpec& spec_;
  const SweepOptions& opt_;
  fs::path out_, dir_;
  std::size_t n_;
  std::vector<bool> done_;
  std::map<std::size_t, PointRecord> restage_;  // stored ok points whose config differs only in [hardware]
  mutable std::mutex log_mutex_;                // one line at a time
  std::mutex store_mutex_, hardware_mutex_;     // point files, merges, counts; hardware stages (jobs > 1)
  std::atomic<bool> failed_{false};
  std::string spec_sha_, commit_, host_;
  nlohmann::json session_, hardware_;
  std::map<std::string, std::string> root_attrs_;
};

}  // namespace

fs::path point_dir(const fs::path& out) { return fs::path(out.string() + ".d"); }

SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& opt) {
  const auto t0 = Clock::now();
  if (opt.jobs < 1) throw std::invalid_argument("--jobs must be at least 1 (got " + std::to_string(opt.jobs) + ")");
  const fs::path out = opt.out, dir = point_dir(out);
  if (!out.parent_path().empty() && !fs::is_directory(out.parent_path()))
    throw std::runtime_error(out.string() + ": the directory " + out.parent_path().string() + " does not exist");
  const int rank = opt.shard ? opt.shard->rank() : 0, ranks = opt.shard ? opt.shard->size() : 1;
  auto barrier = [&] {
    if (opt.shard) opt.shard->barrier();
  };
  std::optional<DirLock> lock;  // rank 0 owns the directory: the lock, stale temporaries and the merges
  if (rank == 0) {
    fs::create_directories(dir);
    lock.emplace(dir);
    remove_stale_temps(dir, out);
  }
  barrier();
  SweepRun run(spec, opt);
  const std::vector<std::size_t> todo = run.scan();
  barrier();  // every rank has read the stored points before any rank writes one
  std::vector<std::size_t> mine;  // point k of those left goes to rank k mod ranks
  for (std::size_t k = 0; k < todo.size(); ++k)
    if (static_cast<int>(k % static_cast<std::size_t>(ranks)) == rank) mine.push_back(todo[k]);
  const std::string where = ranks > 1 ? " on rank " + std::to_string(rank) + "/" + std::to_string(ranks) : "";
  if (!mine.empty()) run.compute(mine, where, rank == 0);
  barrier();  // every rank's point files are complete
  SweepSummary sum = run.sum;
  if (opt.shard) sum.computed = opt.shard->sum(sum.computed), sum.failed = opt.shard->sum(sum.failed);
  if (rank == 0) {
    run.mark_done(todo);
    run.merge();
  }
  sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return sum;
}

}  // namespace mxlab::experiments
