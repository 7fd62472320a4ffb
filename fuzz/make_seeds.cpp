// Writes the fuzzers' seed corpora (small valid inputs, made by the library's own writers) under DIR/<target>/.
// Usage: fuzz_make_seeds DIR  (scripts/fuzz runs it; nothing it writes is committed).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "apps/tensor_io.hpp"
#include "experiments/result_store.hpp"
#include "experiments/sweep_spec.hpp"
#include "formats/format.hpp"
#include "formats/packed.hpp"
#include "model/hf_format.hpp"
#include "model/llama2c_format.hpp"
#include "model/safetensors.hpp"
#include "model/weights.hpp"

namespace fs = std::filesystem;
using namespace mxlab;

namespace {
void put(const fs::path& file, const std::string& bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
void put(const fs::path& file, const std::vector<std::uint8_t>& bytes) { put(file, std::string(bytes.begin(), bytes.end())); }
std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

model::ModelConfig tiny_config() {
  model::ModelConfig c;
  c.dim = 8; c.hidden_dim = 12; c.n_layers = 1; c.n_heads = 2; c.n_kv_heads = 1;
  c.vocab_size = 6; c.seq_len = 4; c.head_size = 4;
  return c;
}

// tok512.bin's layout (run.c build_tokenizer): int32 max_token_length, then per token float score, int32 len, bytes.
std::string tokenizer_bytes(const std::vector<std::string>& pieces) {
  std::string b;
  auto i32 = [&](std::int32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  i32(4);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const float score = -static_cast<float>(i);
    b.append(reinterpret_cast<const char*>(&score), 4);
    i32(static_cast<std::int32_t>(pieces[i].size()));
    b += pieces[i];
  }
  return b;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds DIR\n";
    return 2;
  }
  const fs::path dir = argv[1];
  int n = 0;
  for (const auto& t : format_table()) put(dir / "format_names" / std::to_string(n++), std::string(t.name) + "/32");
  for (const char* s : {"row", "0", "64", "none", "even", "stochastic", "fp32", "e5m10", "exact", "auto", "nvfp4/row"})
    put(dir / "format_names" / std::to_string(n++), std::string(s));

  const cli::Tensor t{{2, 3}, {1.f, -2.5f, 0.f, 3e-3f, 448.f, -7.f}};
  put(dir / "tensor_io" / "a.npy", cli::tensor_file_bytes("a.npy", t));
  put(dir / "tensor_io" / "a.f32", cli::tensor_file_bytes("a.f32", t));

  n = 0;
  for (const auto& f : format_table()) {
    try {
      put(dir / "packed" / std::to_string(n++), serialize(encode_ref(f.id, t.values)));
    } catch (const std::exception&) {  // a format with no packed layout
    }
  }

  const auto w = model::ModelWeights::random(tiny_config(), 7);
  const fs::path scratch = dir / "scratch";
  fs::create_directories(scratch);
  for (int v : {0, 1, 2}) {
    const fs::path f = scratch / ("v" + std::to_string(v) + ".bin");
    model::save_llama2c(w, f, v, 4);
    put(dir / "llama2c" / f.filename(), slurp(f));
  }
  for (auto dtype : {model::Dtype::f32, model::Dtype::bf16}) {
    const fs::path d = scratch / ("hf_" + std::string(model::dtype_name(dtype)));
    model::save_hf(w, d, dtype);
    put(dir / "safetensors" / d.filename(), slurp(d / "model.safetensors"));
    put(dir / "hf_config" / d.filename(), slurp(d / "config.json"));
  }
  std::vector<std::string> pieces = {"<unk>", "<s>", "</s>"};  // then the 256 byte tokens and a few merges
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    pieces.emplace_back(hex);
  }
  for (const char* p : {" ", "O", "n", "c", "e", "u", "p", "o", "On", "ce", "Once", " u", " up", "on", " upon"})
    pieces.emplace_back(p);
  put(dir / "tokenizer" / "tok", tokenizer_bytes(pieces));

  // Specs: the shipped ones, one with every [hardware] key, and one naming files that do not exist.
  for (const char* stem : {"tiny", "default", "seed_ptq_table"})
    put(dir / "sweep_spec" / stem, slurp(experiments::bundled_spec(stem)));
  put(dir / "sweep_spec" / "hardware",
      "[grid]\nweights = [\"mxfp4_e2m1\", \"nvfp4\"]\nblock = [0, 16, \"row\"]\ngemm = \"exact\"\nacc = \"e8m23\"\n"
      "[[points]]\nweights = \"mxint8\"\nacts = \"mxint8\"\ntensor_scale = false\nround = \"even\"\n"
      "[hardware]\nliberty = \"pdk/sky130_fd_sc_hd__tt_025C_1v80.lib\"\ncorner = \"tt\"\nclock_mhz = 250.5\n"
      "array_rows = 16\narray_cols = 16\nsram_kib = 512\ndram_gbps = 25.6\ncost = true\nvectors = 8\n"
      "random_operands = true\naccelerator = \"array32\"\naccel_shape = \"7b\"\naccel_phase = \"prefill\"\n"
      "accel_seq = 128\naccel_batch = 2\n");
  put(dir / "sweep_spec" / "missing_files",
      "[sweep]\nname = \"m\"\n[model]\nmodel = \"models/absent.bin\"\ntokenizer = \"/nonexistent/tok.bin\"\n"
      "[eval]\ntokens = 16\ntexts = [{ name = \"a\", file = \"text/absent.txt\" }]\n"
      "[calibration]\ntext = \"calib.txt\"\nsamples = 2\nlength = 8\nseed = 1\nallow_overlap = true\n"
      "[grid]\nweights = \"mxint8\"\n");
  for (const char* arch : {"array32", "array128"})  // sim::shipped_arch's files (not linked: seeds need no simulator)
    put(dir / "arch_config" / arch, slurp(fs::path(MXLAB_SOURCE_DIR) / "sim/arch" / (std::string(arch) + ".toml")));

  // A point file and a two-point merged result file, as the sweep runner writes them (checksummed HDF5: a few KB).
  experiments::PointRecord rec;
  rec.name = "mxint8__none__rtn";
  rec.config = {{"point", {{"weights", "mxint8"}}}, {"session", {{"model", "m.bin"}}}};
  rec.attrs = {{"status", "ok"}, {"host", "h"}};
  rec.metrics = {{"bits_per_weight", 8.25}, {"tinystories.ppl", 3.6}};
  rec.layers.names = {"layers.0.wq", "layers.0.wk"};
  rec.layers.text["weights"] = {"mxint8", "mxint8"};
  rec.layers.numbers["rows"] = {8, 4};
  rec.blocks.names = {"layers.0"};
  rec.blocks.numbers["residual_rel_error"] = {0.01};
  experiments::write_point_file(scratch / "p0.h5", rec);
  rec.name = "mxfp4_e2m1__none__rtn", rec.index = 1, rec.attrs["status"] = "failed", rec.blocks = {};
  experiments::write_point_file(scratch / "p1.h5", rec);
  experiments::merge_point_files(scratch / "r.h5", {{"format", experiments::kStoreFormat}, {"sweep", "s"}},
                                 {scratch / "p0.h5", scratch / "p1.h5"});
  experiments::PointRecord tiny;  // the smallest point file: a name, a config, one metric, an empty layer table
  tiny.name = "p", tiny.config = nlohmann::json::object(), tiny.metrics = {{"m", 1.0}};
  experiments::write_point_file(scratch / "tiny.h5", tiny);
  for (const char* f : {"tiny.h5", "p0.h5", "r.h5"}) put(dir / "result_store" / f, slurp(scratch / f));
  fs::remove_all(scratch);
  std::cout << "seeds written under " << dir.string() << "\n";
  return 0;
}
