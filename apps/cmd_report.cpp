// `mxlab report RESULTS.h5 [B.h5] [--out DIR]`: tables, Pareto front and plots of a sweep, or a comparison of two.
#include <iostream>

#include "apps/commands.hpp"
#include "experiments/report.hpp"

namespace mxlab::cli {

void add_report_command(CLI::App& app) {
  struct Args {
    std::vector<std::string> files;
    std::string out, plots = "auto";
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("report", "Markdown/CSV tables, Pareto front and plots of a sweep result file; two files: "
                                           "a point-by-point comparison");
  cmd->add_option("results", a->files, "RESULTS.h5, or A.h5 B.h5 to compare")->required()->expected(1, 2);
  cmd->add_option("--out", a->out, "Output directory (default: <results stem>-report)");
  cmd->add_option("--plots", a->plots, "PNG+SVG plots via experiments/plot/plot_sweep.py")
      ->check(CLI::IsMember({"auto", "on", "off"}))
      ->capture_default_str();
  cmd->callback([a] {
    experiments::ReportOptions o;
    const std::filesystem::path first(a->files[0]);
    o.out_dir = a->out.empty() ? first.parent_path() / (first.stem().string() + (a->files.size() == 2 ? "-compare" : "-report"))
                               : std::filesystem::path(a->out);
    o.plots = a->plots;
    const experiments::ReportOutput r = a->files.size() == 2 ? experiments::write_comparison(a->files[0], a->files[1], o)
                                                             : experiments::write_report(first, o);
    std::cout << r.markdown;
    if (!r.note.empty()) std::cerr << "report: " << r.note << "\n";
    for (const auto& f : r.files) std::cout << "wrote " << f.string() << "\n";
  });
}

}  // namespace mxlab::cli
