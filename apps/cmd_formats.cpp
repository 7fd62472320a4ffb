// `mxlab formats`: the traits table, as an aligned text table or JSON.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/commands.hpp"
#include "formats/format.hpp"

namespace mxlab::cli {

void add_formats_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("formats", "List every number format: bits/weight, block, scale, max value");
  static bool json = false;
  cmd->add_flag("--json", json, "Print JSON instead of a table");
  cmd->callback([] {
    if (json) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& t : format_table())
        rows.push_back({{"name", t.name}, {"id", static_cast<int>(t.id)}, {"family", family_name(t.family)},
                        {"element", t.element().name}, {"element_bits", t.element().bits},
                        {"exponent_bits", t.element().ebits}, {"mantissa_bits", t.element().mbits},
                        {"bias", t.element().bias}, {"block", t.default_block}, {"scale", scale_name(t.scale)},
                        {"scale_bits", t.scale_bits()}, {"code_bits", t.code_bits()}, {"vq_dim", t.vq_dim},
                        {"bytes_per_block", t.block_bytes(t.default_block)},
                        {"bits_per_weight", t.bits_per_weight()}, {"max_value", t.max_value()},
                        {"summary", t.summary}});
      std::cout << rows.dump(2) << "\n";
      return;
    }
    std::printf("%-11s %-9s %-5s %5s %-9s %6s %9s  %s\n", "format", "family", "elem", "block", "scale", "bits/w",
                "max", "summary");
    for (const auto& t : format_table())
      std::printf("%-11s %-9s %-5s %5d %-9s %6.4g %9.6g  %s\n", t.name, family_name(t.family).data(),
                  t.element().name, t.default_block, scale_name(t.scale).data(), t.bits_per_weight(), t.max_value(),
                  t.summary);
  });
}

}  // namespace mxlab::cli
