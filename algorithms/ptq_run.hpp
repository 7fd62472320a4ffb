// PTQ as a library: the inputs every run of a study shares (FP32 model, calibration tokens, evaluation texts),
// one run (pipeline -> quantized weights -> evaluation against FP32) and its result record. `mxlab ptq`,
// `mxlab ptq-table` and sweep runners call these.
#pragma once
#include <filesystem>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/calibration_data.hpp"
#include "algorithms/ptq.hpp"
#include "model/eval.hpp"
#include "model/load_model.hpp"
#include "model/quantized_checkpoint.hpp"
#include "model/safetensors.hpp"

namespace mxlab::algorithms {

struct EvalText {
  std::string name;
  std::vector<int> tokens;
};

// The evaluation texts of the seed study: name and file relative to the data directory.
inline const std::vector<std::pair<std::string, std::filesystem::path>> kDefaultEvalTexts{
    {"tinystories", "text/tinystories-valid-dev.txt"}, {"wikitext2", "text/wikitext2-test.raw"}};

// Already-resolved paths and options of a session.
struct PtqSessionOptions {
  std::filesystem::path model, tokenizer;  // llama2.c .bin or HF directory; llama2.c tokenizer.bin
  CalibOptions calib;                      // calib.text empty = samples the FP32 model generates
  std::vector<std::pair<std::string, std::filesystem::path>> eval_texts;  // name, file
  std::size_t eval_tokens = 32768;         // first tokens of each text (0 = all)
  bool allow_overlap = false;              // accept a calibration text that shares text with an evaluation text
  // resident, or streamed (only the layer being computed resident: PTQ then streams too, see run_ptq); automatic
  // streams an HF checkpoint above model::kStreamAboveBytes of FP32 layers (load_model).
  model::LoadMode load = model::LoadMode::resident;
};

// What every run shares: the FP32 model, the calibration stream (windows of `ctx` tokens) and the texts.
struct PtqSession {
  std::shared_ptr<const model::ModelWeights> fp32;
  std::vector<int> calib;
  int ctx = 0;
  std::vector<EvalText> texts;
  std::vector<std::size_t> calib_offsets;  // a calibration text's window starts in its token stream (empty: generated)
  std::filesystem::path source = {};       // the checkpoint fp32 was read from (prepare_session; empty: built in memory)
};

// Loads the model and tokenizer, makes the calibration windows (calibration_windows) and tokenizes the texts;
// logs one line ("ptq: calibration ..."). Unless allow_overlap, a calibration text must not share text with an
// evaluation text: throws std::invalid_argument (one line) when its content equals an evaluation file's
// (text_hash, checked before loading anything) or a window repeats kOverlapRun tokens of an evaluated stream.
PtqSession prepare_session(const PtqSessionOptions& opt, const PtqLog& log = {});

// One quantized linear of a run: the weight format actually applied and its exact storage.
struct LinearRecord {
  model::LinearId id;
  model::TensorQuant weight;
  Eigen::Index rows = 0, cols = 0;
  std::uint64_t bits = 0;  // weight_bits(weight, rows, cols)
  double bits_per_weight() const { return static_cast<double>(bits) / static_cast<double>(rows * cols); }
};

struct PtqRunResult {
  std::string pipeline;
  model::QuantScheme scheme;                    // as requested
  model::QuantScheme deployed;                  // as evaluated (PtqContext::deployed_scheme)
  std::shared_ptr<model::ModelWeights> weights;  // quantized in place
  std::map<model::LinearId, WeightScales> scales;
  std::vector<LinearRecord> linears;            // every quantized linear, in forward order
  std::uint64_t weight_bits = 0, weight_count = 0;  // totals over `linears`
  std::vector<std::pair<std::string, model::EvalResult>> evals;  // per session text, against FP32
  std::size_t calib_tokens = 0;
  double seconds = 0;
  // Per decoder layer, when the pipeline computed it (lsaq, lsaq+X: logit-lens importance, PtqContext); else empty.
  std::vector<double> layer_importance;

  double bits_per_weight() const { return static_cast<double>(weight_bits) / static_cast<double>(weight_count); }
};

// Where `mxlab ptq --out` writes the quantized model (algorithms/export.hpp).
struct PtqExport {
  std::filesystem::path path;               // a directory (X.safetensors: one file, resident runs only)
  std::optional<model::Dtype> dequantized;  // bf16 or f32 plain weights; nullopt: packed codes and scales (exact)
  nlohmann::json provenance = nlohmann::json::object();  // added to the run's (source model, calibration, ...)
};

// Runs `pipeline` on a copy of the FP32 weights with `scheme` (progress lines to `log`), writes the result to `out`
// when given, then evaluates the deployed model (PtqContext::deployed_runtime) on every session text against FP32.
// A session loaded streamed runs streamed PTQ (the steps must stream: rtn, gptq, gptvq; `out` is required): each
// layer is read, quantized and written to `out` in turn, and the evaluation reads the written checkpoint back,
// streamed. Its quantized weights equal the resident run's bit for bit, and so do its evaluations when `out` keeps
// the values exactly (packed, or dequantized f32).
PtqRunResult run_ptq(const PtqSession& session, std::string_view pipeline, const model::QuantScheme& scheme,
                     const PtqLog& log = {}, const PtqExport* out = nullptr);
// The same for a session its owner gives up (`mxlab ptq`: one run). A streamed session read from a checkpoint
// (`source`) and held nowhere else drops its FP32 model: the run re-reads it from the file where it needs it (the
// model it quantizes; the reference of the evaluation), so that the FP32 embedding and classifier are resident
// once during PTQ, not twice; the same bits, so the same results. Otherwise as above. Leaves session.fp32 null.
PtqRunResult run_ptq(PtqSession&& session, std::string_view pipeline, const model::QuantScheme& scheme,
                     const PtqLog& log = {}, const PtqExport* out = nullptr);

// The record: algo, weights, acts, gemm, acc, calib_tokens, seconds, bits_per_weight, weight_bits, layer_importance
// (when computed), layers
// [{name, weights, rows, cols, bits, bits_per_weight}], and one EvalResult object (model/eval_json.hpp) per text.
void to_json(nlohmann::json& j, const PtqRunResult& r);
// The exported form of a run (model::save_hf): the deployed scheme, each quantized linear's format, block and
// scales, and the provenance this record has (algorithm, formats, calibration tokens; callers may add more).
model::QuantizedCheckpoint quantized_checkpoint(const PtqRunResult& r);
// Human-readable lines: one per text, the bits per weight and, when layers differ, each layer's format.
std::string summary(const PtqRunResult& r);

}  // namespace mxlab::algorithms
