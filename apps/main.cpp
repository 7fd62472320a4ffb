// mxlab command-line program: parses arguments and calls the libraries; errors become one line on stderr.
#include <cstdlib>
#include <exception>
#include <iostream>

#include "apps/commands.hpp"

#ifndef MXLAB_DEFAULT_DATA_DIR
#define MXLAB_DEFAULT_DATA_DIR "../shared/data"
#endif

namespace mxlab::cli {
std::filesystem::path data_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("MXLAB_DATA"); env && *env) return env;
  return MXLAB_DEFAULT_DATA_DIR;
}
}  // namespace mxlab::cli

int main(int argc, char** argv) {
  CLI::App app{"mxlab: number-format emulation, PTQ and hardware co-verification for LLM quantization"};
  app.require_subcommand(1);
  mxlab::cli::add_formats_command(app);
  mxlab::cli::add_quantize_command(app);
  mxlab::cli::add_model_commands(app);
  mxlab::cli::add_ptq_commands(app);
  mxlab::cli::add_sweep_command(app);
  mxlab::cli::add_report_command(app);
  mxlab::cli::add_cost_command(app);
  mxlab::cli::add_sim_command(app);
  mxlab::cli::add_synth_model_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "mxlab: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
