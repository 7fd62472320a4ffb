// `mxlab sim`: a Llama decoder layer on the SystemC accelerator (sim/): cycles, utilization, bytes, stalls, roofline,
// energy with --energy; text or JSON.
#include <filesystem>
#include <iostream>

#include "apps/commands.hpp"
#include "sim/functional.hpp"

namespace mxlab::cli {

void add_sim_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sim", "Simulate one Llama decoder layer on the SystemC accelerator (transaction level): cycles, PE "
             "utilization, bytes per memory level, stalls, roofline; energy per token with --energy");
  struct Args {
    std::string arch = "array32", model, shape, weights, acts, acc, phase = "prefill", data_dir, cache_dir;
    std::int64_t seq = 2048, batch = 1;
    bool json = false, energy = false, functional = false;
  };
  static Args a;
  cmd->add_option("--arch", a.arch, "Architecture TOML, or a shipped one: array32, array128 (sim/arch/)")
      ->capture_default_str();
  auto* model = cmd->add_option("--model", a.model, "Checkpoint shape: a config.json, its directory or a llama2.c .bin");
  auto* shape = cmd->add_option("--shape", a.shape, "Named shape: " + sim::shape_names());
  model->excludes(shape);
  cmd->add_option("--weights", a.weights, "Weight format (default: the arch's [formats])");
  cmd->add_option("--acts", a.acts, "Activation format (default: the arch's [formats])");
  cmd->add_option("--acc", a.acc, "Accumulator: fp32 | bf16 | fp16 | fp64 | eXmY (default: the arch's)");
  cmd->add_option("--phase", a.phase, "prefill | decode")->capture_default_str();
  cmd->add_option("--seq", a.seq, "Prefill: tokens per sequence; decode: context length")->capture_default_str();
  cmd->add_option("--batch", a.batch, "Sequences")->capture_default_str();
  cmd->add_flag("--json", a.json, "Print JSON");
  cmd->add_flag("--energy", a.energy, "Energy per level and per token (pJ/MAC from `mxlab cost`: synthesizes on first use)");
  cmd->add_flag("--functional", a.functional,
                "Also compute each GEMM (one instance, random operands) on the cycle-level PE array (output-stationary "
                "arch, small shapes): outputs vs exact_gemm bit for bit, cycles vs the transaction level");
  cmd->add_option("--cache-dir", a.cache_dir, "Cost cache for --energy (default: <build>/cost-cache)");
  cmd->add_option("--data-dir", a.data_dir, "Data directory for a relative --model (default $MXLAB_DATA)");
  cmd->callback([] {
    namespace fs = std::filesystem;
    if (a.model.empty() && a.shape.empty()) throw std::invalid_argument("sim: give --model PATH or --shape NAME");
    const fs::path arch_file = fs::exists(a.arch) ? fs::path(a.arch) : sim::shipped_arch(a.arch);
    if (!fs::exists(arch_file))
      throw std::invalid_argument("--arch: no file '" + a.arch + "' and no shipped architecture of that name");
    const sim::ArchConfig arch = sim::load_arch(arch_file);
    sim::LlamaShape s;
    if (!a.shape.empty()) {
      s = sim::named_shape(a.shape);
    } else {
      fs::path p = a.model;
      if (!fs::exists(p) && fs::exists(data_dir(a.data_dir) / "models" / p)) p = data_dir(a.data_dir) / "models" / p;
      s = sim::read_shape(p);
    }
    sim::WorkloadOptions o;
    o.phase = sim::parse_phase(a.phase), o.seq = a.seq, o.batch = a.batch;
    o.weights = a.weights.empty() ? arch.weights : find_format(a.weights).id;
    o.acts = a.acts.empty() ? arch.acts : find_format(a.acts).id;
    const AccFormat acc = a.acc.empty() ? arch.acc : AccFormat::parse(a.acc);
    sim::SimResult r = sim::simulate_layer(arch, s, o, acc);
    if (a.energy) r.energy = sim::unit_energy(r, a.cache_dir);
    std::vector<sim::FunctionalGemm> f;
    if (a.functional) f = sim::functional_check(r);
    nlohmann::json j = sim::to_json(r);
    if (a.functional) j["functional"] = sim::to_json(f);
    if (a.json) std::cout << j.dump(2) << "\n";
    else std::cout << sim::to_text(r);
    bool same = true;
    for (const sim::FunctionalGemm& g : f) {
      same = same && g.mismatches == 0 && g.array_cycles == g.transaction_cycles;
      if (!a.json)
        std::cout << "functional " << g.name << ": " << g.outputs - g.mismatches << "/" << g.outputs
                  << " outputs bit-identical to exact_gemm; array " << g.array_cycles << " cycles, transaction level "
                  << g.transaction_cycles << "\n";
    }
    if (!same) throw std::runtime_error("functional mode: outputs or cycles differ from the transaction level / exact_gemm");
  });
}

}  // namespace mxlab::cli
