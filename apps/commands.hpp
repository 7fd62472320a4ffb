// Sub-command registration for the mxlab CLI: each area adds its commands to the one CLI11 app.
#pragma once
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

namespace mxlab::cli {

// Data directory: --data-dir, else $MXLAB_DATA, else the build-time default (../shared/data).
std::filesystem::path data_dir(const std::string& flag_value);

void add_formats_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_model_commands(CLI::App& app);  // tokenize, generate, eval (model/)
void add_ptq_commands(CLI::App& app);    // ptq, ptq-table (algorithms/)
void add_sweep_command(CLI::App& app);   // sweep (experiments/)
void add_report_command(CLI::App& app);  // report (experiments/)
void add_cost_command(CLI::App& app);    // cost (rtl/cost/)
void add_sim_command(CLI::App& app);     // sim (sim/)
void add_synth_model_command(CLI::App& app);  // synth-model (model/synth_model.hpp)

}  // namespace mxlab::cli
