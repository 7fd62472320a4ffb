// mxlab command-line program: parses arguments and calls the libraries; errors become one line on stderr.
#include <cstdlib>
#include <exception>
#include <iostream>

#include "apps/commands.hpp"
#include "model/runtime.hpp"

#ifndef MXLAB_DEFAULT_DATA_DIR
#define MXLAB_DEFAULT_DATA_DIR "../shared/data"
#endif

namespace mxlab::cli {
std::filesystem::path data_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("MXLAB_DATA"); env && *env) return env;
  return MXLAB_DEFAULT_DATA_DIR;
}

// CLI11 2.1 reads an unsigned option with strtoull, so "-1" became 2^64 - 1 (a seed, a token count): refuse a sign.
void reject_negative_unsigned(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) reject_negative_unsigned(*sub);
  for (CLI::Option* o : app.get_options())
    if (o->get_type_name() == "UINT")
      o->check(CLI::Validator(
          [](std::string& s) {
            return s.find('-') == std::string::npos ? std::string() : "must not be negative (got " + s + ")";
          },
          "", "non-negative"));
}
}  // namespace mxlab::cli

int main(int argc, char** argv) {
  mxlab::model::keep_activation_blocks_in_heap();  // LLM-sized windows reuse heap pages (model/runtime.hpp)
  CLI::App app{"mxlab: number-format emulation, PTQ and hardware co-verification for LLM quantization"};
  app.require_subcommand(1);
  // Usage errors are one line too, in the same form as every other error (CLI11's default adds a second line).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "mxlab: error: " + std::string(e.what()) + " (see --help)\n";
  });
  mxlab::cli::add_formats_command(app);
  mxlab::cli::add_quantize_command(app);
  mxlab::cli::add_model_commands(app);
  mxlab::cli::add_ptq_commands(app);
  mxlab::cli::add_sweep_command(app);
  mxlab::cli::add_report_command(app);
  mxlab::cli::add_cost_command(app);
  mxlab::cli::add_sim_command(app);
  mxlab::cli::add_synth_model_command(app);
  mxlab::cli::reject_negative_unsigned(app);
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
