#include "apps/commands.hpp"
void mxlab::cli::add_model_commands(CLI::App&){}
