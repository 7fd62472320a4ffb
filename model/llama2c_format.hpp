// llama2.c checkpoints (Karpathy, github.com/karpathy/llama2.c): legacy v0 fp32, v1 fp32 and v2 int8 Q8_0.
#pragma once
#include <filesystem>

#include "model/weights.hpp"

namespace mxlab::model {

inline constexpr std::uint32_t kLlama2cMagic = 0x616b3432;  // "ak42" (export.py version1_export)

// Loads any of: legacy v0 (run.c: 7 int32 header, vocab_size < 0 = separate classifier, then weights and the
// unused freq_cis tables), v1 (export.py version1_export: 256-byte header, norms first) and v2
// (version2_export: Q8_0 groups of group_size int8 + one fp32 scale, dequantized to fp32 on load).
// Throws std::runtime_error naming the file and what is wrong (truncated, bad magic/version, bad header).
ModelWeights load_llama2c(const std::filesystem::path& path);

// Writes version 0 (legacy, as export.py legacy_export), 1 or 2 (Q8_0, group_size backed off by halving until
// it divides dim, as export.py does). The classifier is written only when !config.shared_classifier.
void save_llama2c(const ModelWeights& w, const std::filesystem::path& path, int version, int group_size = 64);

}  // namespace mxlab::model
