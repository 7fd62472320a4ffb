// Shared helpers for the model tests: data paths and small random model configurations.
#pragma once
#include <unistd.h>

#include <filesystem>

#include "model/weights.hpp"

#ifndef MXLAB_DATA_DIR
#define MXLAB_DATA_DIR "../shared/data"
#endif

namespace mxlab::model::test {

inline std::filesystem::path data_path(const std::string& rel) { return std::filesystem::path(MXLAB_DATA_DIR) / rel; }
inline std::filesystem::path stories260k() { return data_path("models/stories260K.bin"); }
inline std::filesystem::path tok512() { return data_path("models/tok512.bin"); }

// A temp directory removed at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("mxlab_model_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  static int& counter() {
    static int c = 0;
    return c;
  }
};

inline ModelConfig small_config(int n_heads, int n_kv_heads, bool shared, int dim = 32, int layers = 2) {
  ModelConfig c;
  c.dim = dim;
  c.hidden_dim = 3 * dim - 10;  // deliberately not a multiple of 32
  c.n_layers = layers;
  c.n_heads = n_heads;
  c.n_kv_heads = n_kv_heads;
  c.head_size = dim / n_heads;
  c.vocab_size = 67;
  c.seq_len = 40;
  c.shared_classifier = shared;
  return c;
}

}  // namespace mxlab::model::test
