// `mxlab sweep SPEC [--out RESULTS.h5] [--jobs N]`: runs (or resumes) a sweep spec through the experiments/ runner,
// N points at a time; `mpirun -n K mxlab sweep SPEC` shards the points over K ranks (when built with MPI).
#include <iostream>

#include "apps/commands.hpp"
#include "experiments/runner.hpp"

namespace mxlab::cli {

void add_sweep_command(CLI::App& app) {
  struct Args {
    std::string spec, out, data_dir;
    bool retry_failed = false, check = false;
    int jobs = 1;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("sweep", "Run a sweep spec (TOML): PTQ + evaluation per point into an HDF5 result file; "
                                          "a rerun keeps every finished point");
  cmd->add_option("spec", a->spec, "Sweep spec (see experiments/specs/)")->required();
  cmd->add_option("--out", a->out, "Result file (default: <spec name>.h5 here); point files go to <out>.d/");
  cmd->add_option("--data-dir", a->data_dir, "Data directory for relative paths not found beside the spec");
  cmd->add_option("--jobs", a->jobs,
                  "Points computed at a time (threads sharing the model, calibration and FP32 reference; each point "
                  "serial inside; same numbers as --jobs 1); with mpirun: per rank")
      ->capture_default_str();
  cmd->add_flag("--retry-failed", a->retry_failed, "Recompute points stored as failed");
  cmd->add_flag("--check", a->check, "Only parse and validate the spec; print its points");
  cmd->callback([a] {
    const experiments::SweepSpec spec = experiments::load_spec(a->spec, data_dir(a->data_dir));
    if (a->check) {
      for (const auto& p : spec.points) std::cout << p.name() << "\n";
      std::cout << spec.points.size() << " points\n";
      return;
    }
    const experiments::Shard shard;
    experiments::SweepOptions o;
    o.out = a->out.empty() ? std::filesystem::path(spec.name + ".h5") : std::filesystem::path(a->out);
    o.retry_failed = a->retry_failed;
    o.jobs = a->jobs;
    o.log = [](const std::string& line) { std::cerr << line << std::endl; };
    o.shard = &shard;
    experiments::SweepSummary s;
    try {
      s = experiments::run_sweep(spec, o);
    } catch (const std::exception& e) {
      if (shard.size() > 1) shard.abort_all(e.what());  // the other ranks would wait at a barrier forever
      throw;
    }
    if (shard.rank() != 0) return;
    std::cout << "sweep " << spec.name << ": " << s.points << " points (" << s.computed << " computed, " << s.kept
              << " kept, " << s.failed << " failed) in " << static_cast<long>(s.seconds + 0.5) << " s -> " << o.out.string()
              << "\n";
    if (s.failed) throw std::runtime_error(std::to_string(s.failed) + " point(s) failed; their errors are in " + o.out.string());
  });
}

}  // namespace mxlab::cli
