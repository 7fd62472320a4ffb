// Reports of result files: Markdown and CSV tables (rows = points), the Pareto front of KL versus bits/weight,
// plots through experiments/plot/plot_sweep.py (matplotlib + h5py), and a point-by-point comparison of two files.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "experiments/result_store.hpp"

namespace mxlab::experiments {

// Both coordinates minimized: point i is on the front unless some j has x_j <= x_i and y_j <= y_i with one of
// them strict. Points with a NaN coordinate are never on the front (and dominate nothing).
std::vector<bool> pareto_front(const std::vector<double>& x, const std::vector<double>& y);

// The evaluation texts of a store, in session order (from the first point's config).
std::vector<std::string> text_names(const StoreContents& s);
// Metric columns that stages other than ptq+eval added ("cost.*", "accel.*"), sorted.
std::vector<std::string> extra_columns(const StoreContents& s);

// A hardware-cost axis the report plots KL against, with its own Pareto front: metric and short name.
struct CostAxis {
  std::string metric, name;
};
// The cost axes with a finite value at some ok point: cost.area_um2 ("area"), cost.pj_per_mac ("energy") from the
// cost stage, accel.cycles ("cycles") and accel.uj_per_token ("energy_per_token") from the accelerator stage.
std::vector<CostAxis> cost_axes(const StoreContents& s);

// The Python that runs the plot script: $MXLAB_PYTHON, else Debian's /usr/bin/python3 (where scripts/install-deps
// puts python3-matplotlib and python3-h5py, even when another python3 comes first on PATH), else python3.
std::string python_interpreter();

struct ReportOptions {
  std::filesystem::path out_dir;
  std::string plots = "auto";  // auto (when python3 with matplotlib and h5py is there) | on | off
};

struct ReportOutput {
  std::vector<std::filesystem::path> files;  // written, in order
  std::string markdown;                      // the main table (what the CLI prints)
  std::string note;                          // e.g. why plots were skipped
};

// DIR/sweep.md, DIR/sweep.csv, DIR/pareto.txt (front point names in (bits/weight, KL), one a line), per cost axis
// DIR/pareto_<axis>.txt (front in (axis, KL)), and, with plots, DIR/{kl,ppl}_vs_bits.{png,svg} and
// DIR/kl_vs_<axis>.{png,svg}. Throws std::runtime_error on an unreadable store or unwritable directory.
ReportOutput write_report(const std::filesystem::path& results, const ReportOptions& opt);
// DIR/compare.md and DIR/compare.csv: the points of A and B joined by name (bits/weight, PPL, KL, top-1 on the
// first text, and the differences B - A); points found in one file only are listed.
ReportOutput write_comparison(const std::filesystem::path& a, const std::filesystem::path& b, const ReportOptions& opt);

}  // namespace mxlab::experiments
