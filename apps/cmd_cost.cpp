// `mxlab cost`: area, clock and energy per MAC of catalog RTL units per format (rtl/cost/), as a table or JSON.
#include <iostream>
#include <sstream>

#include "apps/commands.hpp"
#include "rtl/cost/cost.hpp"
#include "rtl/cost/model_operands.hpp"

namespace mxlab::cli {
namespace {
std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');)
    if (!x.empty()) out.push_back(x);
  return out;
}
}  // namespace

void add_cost_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "cost", "Area, cells, max clock (Yosys + OpenSTA) and energy per MAC (gate-level simulation of real and random "
              "operands, OpenSTA vectorless) of RTL units per format; cached by content hash");
  struct Args {
    std::string units, formats, liberty, operands = "both", cache_dir, data_dir;
    int depth = 0;
    double clock_ns = 10;
    std::size_t vectors = 256;
    std::uint64_t seed = 1;
    bool json = false;
  };
  static Args a;
  cmd->add_option("--units", a.units, "Comma-separated catalog units (default: all; rtl/units.json)");
  cmd->add_option("--formats", a.formats, "Comma-separated weight formats (default: each unit's formats)");
  cmd->add_option("--depth", a.depth, "Pipeline depth DEPTH 1..4 (default: the catalog's)");
  cmd->add_option("--liberty", a.liberty, "Liberty file (default: the build's sky130_fd_sc_hd tt 025C 1v80)");
  cmd->add_option("--clock-ns", a.clock_ns, "Clock period (ns) for OpenSTA and the simulation")->capture_default_str();
  cmd->add_option("--operands", a.operands, "model | random | both")->capture_default_str();
  cmd->add_option("--vectors", a.vectors, "Vectors (cycles) per simulation")->capture_default_str();
  cmd->add_option("--seed", a.seed, "Seed of the random operands")->capture_default_str();
  cmd->add_option("--cache-dir", a.cache_dir, "Result cache (default: <build>/cost-cache)");
  cmd->add_option("--data-dir", a.data_dir, "Data directory (models/, text/); default $MXLAB_DATA");
  cmd->add_flag("--json", a.json, "Print JSON instead of a table");
  cmd->callback([] {
    cost::CostOptions o;
    o.units = split_commas(a.units), o.formats = split_commas(a.formats);
    if (a.depth != 0) o.depth = a.depth;
    o.liberty = a.liberty, o.clock_ns = a.clock_ns, o.vectors = a.vectors, o.seed = a.seed;
    o.cache_dir = a.cache_dir;
    if (a.operands != "model" && a.operands != "random" && a.operands != "both")
      throw std::invalid_argument("--operands must be model, random or both (got '" + a.operands + "')");
    if (a.vectors == 0) throw std::invalid_argument("--vectors must be at least 1");
    o.model = a.operands != "random", o.random = a.operands != "model";
    o.progress = [](const std::string& s) { std::cerr << s << std::endl; };
    cost::Operands real;
    if (o.model) {
      real = cost::stories260k_operands(data_dir(a.data_dir).string());
      o.real = &real;
    }
    const std::vector<cost::CostRow> rows = cost::run_cost(o);
    if (a.json) {
      std::cout << cost::cost_json(rows) << "\n";
      return;
    }
    std::cout << cost::cost_table(rows);
    if (!rows.empty())
      std::cout << "\n" << rows.front().liberty << ", clock " << a.clock_ns << " ns; energy: " << a.vectors
                << " vectors per simulation (iverilog, zero-delay cells: no glitches), model operands: "
                << (o.model ? real.what : std::string("none")) << "; vectorless: OpenSTA report_power, inputs 0.5 "
                << "toggles/cycle\n";
  });
}

}  // namespace mxlab::cli
