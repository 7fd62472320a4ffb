// `mxlab synth-model`: a Llama-shaped Hugging Face checkpoint with random weights (model/synth_model.hpp).
#include <iostream>
#include <memory>

#include "apps/commands.hpp"
#include "model/progress.hpp"
#include "model/synth_model.hpp"

namespace mxlab::cli {

void add_synth_model_command(CLI::App& app) {
  struct Args {
    std::string shape, dtype = "bf16", out;
    model::SynthOptions opt;
    bool quiet = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("synth-model",
                                 "Write a Llama-shaped HF checkpoint with random weights (for memory/speed at real sizes; "
                                 "accuracy needs real weights)");
  cmd->add_option("--shape", a->shape, "tinyllama-1.1b, llama-7b, stories260K or dim,hidden,layers,heads,kv_heads,vocab")
      ->required();
  cmd->add_option("--dtype", a->dtype, "bf16, f16 or f32")->capture_default_str();
  cmd->add_option("--out", a->out, "Output directory (must not exist, or be empty)")->required();
  cmd->add_option("--seed", a->opt.seed, "Random seed")->capture_default_str();
  cmd->add_flag("--quiet", a->quiet, "No progress bar");
  cmd->callback([a] {
    model::Progress::set_quiet(a->quiet);
    const std::map<std::string, model::Dtype> dtypes{{"bf16", model::Dtype::bf16}, {"f16", model::Dtype::f16},
                                                     {"f32", model::Dtype::f32}};
    if (!dtypes.count(a->dtype)) throw std::invalid_argument("--dtype " + a->dtype + ": expected bf16, f16 or f32");
    a->opt.dtype = dtypes.at(a->dtype);
    const model::ModelConfig c = model::synth_shape(a->shape);
    const std::uint64_t bytes = model::write_synth_model(a->out, c, a->opt);
    std::cout << a->out << ": " << a->shape << " (dim " << c.dim << ", hidden " << c.hidden_dim << ", layers "
              << c.n_layers << ", heads " << c.n_heads << "/" << c.n_kv_heads << ", vocab " << c.vocab_size << "), "
              << a->dtype << ", " << bytes << " bytes of weights\n";
  });
}

}  // namespace mxlab::cli
