// Sweep specs: a TOML file naming the model, texts, calibration, and the points to run (a cartesian [grid]
// and/or an explicit [[points]] list) plus a [hardware] table for the cost/accelerator stages. Every error
// names the file, the line and the key ("spec.toml:12:3: grid.weights: unknown format 'mxfp5' ...").
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/ptq_run.hpp"
#include "model/quant_scheme.hpp"

namespace mxlab::experiments {

// A bad spec: what() is "FILE:LINE:COL: KEY: message".
class SpecError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// One point of a sweep: the quantization settings `mxlab ptq` takes, as spelled there.
struct SweepPoint {
  std::string weights;              // weight format (formats table name)
  std::string acts = "none";        // activation format of every linear input
  std::string pipeline = "rtn";     // PTQ pipeline, as `mxlab ptq --algo`
  std::string block = "0";          // weight block: integer (0 = format default) or "row"
  std::string act_block = "0";      // activation block
  std::string gemm = "fakequant";   // fakequant | exact
  std::string acc = "fp32";         // exact GEMM accumulator
  std::string round = "even";       // rounding of weights and activations
  bool tensor_scale = false;        // nvfp4's per-tensor FP32 scale
  bool quantize_classifier = false;
  std::string origin;               // "FILE:LINE:COL" of the table the point came from (for errors)

  // The group/file name: the parameters that differ from the defaults, e.g. "mxfp4_e2m1__mxint8__gptq__gemm=exact".
  std::string name() const;
  // The quantization scheme; throws std::invalid_argument (model/ and formats/ messages) on a bad setting.
  model::QuantScheme scheme() const;
  nlohmann::json to_json() const;
};

// The [hardware] table: the cost stage's settings (cost, units, vectors, random_operands, liberty, clock_mhz) and
// the accelerator's (array, SRAM, DRAM: validated and recorded).
struct HardwareSpec {
  bool present = false;
  std::filesystem::path liberty;  // resolved; must exist (empty: the build's sky130 liberty)
  std::string corner;
  double clock_mhz = 0;           // 0: 100 MHz (10 ns) for the cost stage
  bool cost = false;              // run the cost stage (experiments/cost_stage.hpp)
  std::vector<std::string> units; // catalog units the cost stage may pick from, in order of preference (empty: all)
  std::size_t vectors = 128;      // vectors per gate-level simulation
  bool random_operands = false;   // also simulate random operands (cost.pj_per_mac_random)
  int array_rows = 0, array_cols = 0;
  std::int64_t sram_kib = 0;
  double dram_gbps = 0;
  // The accelerator stage (experiments/accel_stage.hpp): an architecture TOML (a shipped name: sim/arch/), and the
  // layer it runs (accel_shape empty: the sweep model's shape).
  std::filesystem::path accelerator;
  std::string accel_shape, accel_phase = "decode";
  std::int64_t accel_seq = 2048, accel_batch = 1;
  nlohmann::json to_json() const;
};

struct SweepSpec {
  std::filesystem::path file;  // the spec as given
  std::string text;            // its bytes (stored in the result file)
  std::string name;            // [sweep] name (default: the file's stem)
  algorithms::PtqSessionOptions session;  // model, tokenizer, calibration, evaluation texts (paths resolved)
  std::vector<SweepPoint> points;         // grid points (in key order, last key fastest), then listed points
  HardwareSpec hardware;
  std::filesystem::path data_dir;  // as given to load_spec (the cost stage's real operands come from it)
};

// Parses and validates `file`: relative paths are tried beside the spec, then under `data_dir`; every point's
// scheme and pipeline are checked. Throws SpecError (file:line:col: key: message) on any error, including a
// TOML syntax error, an unknown key, a wrong type, a missing file, a bad format/pipeline or two equal points.
SweepSpec load_spec(const std::filesystem::path& file, const std::filesystem::path& data_dir);
// The same for the spec's bytes `text`, read from `file` (named in errors; relative paths are resolved beside it).
SweepSpec parse_spec(std::string text, const std::filesystem::path& file, const std::filesystem::path& data_dir);

// A spec of the source tree: <source>/experiments/specs/<stem>.toml (e.g. "seed_ptq_table").
std::filesystem::path bundled_spec(const std::string& stem);

}  // namespace mxlab::experiments
