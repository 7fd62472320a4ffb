// Multi-threaded fast paths: the same bits for any thread count (the stochastic draw depends only on the seed and
// the flat index), the threaded path against the reference, and the streaming-store path (>= 4M values) against
// the fast path on slices (each slice with its index_base), for every format.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>

#include "formats/block_codecs.hpp"
#include "test_util.hpp"

namespace mxlab {
namespace {
using test::bit_equal;

std::vector<float> fast(Format f, std::span<const float> x, const QuantConfig& cfg, int threads) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  std::vector<float> y(x.size());
  fake_quantize(f, x, y, cfg);
  omp_set_num_threads(before);
  return y;
}

class FastThreads : public ::testing::TestWithParam<Format> {};

// 2^19 + 13 values: over the threading threshold, with a short last block at the default block size; the flat
// indices wrap past 2^32 (the stochastic draw takes the index mod 2^32).
TEST_P(FastThreads, AnyThreadCountGivesTheReferenceBits) {
  const Format f = GetParam();
  const auto x = test::random_blocks((1u << 19) + 13, 32, 11, -130, 120);
  for (Round r : {Round::even, Round::stochastic}) {
    const QuantConfig cfg{.round = r, .seed = 99, .tensor_scale = f == Format::nvfp4, .index_base = 4294900000u};
    std::vector<float> want(x.size());
    fake_quantize_ref(f, x, want, cfg);
    for (int threads : {1, 2, 3})
      EXPECT_TRUE(bit_equal(fast(f, x, cfg, threads), want, x)) << test::label(f, r) << " threads " << threads;
  }
}

// 4M + 40 values into a 16-byte aligned, separate output: the streaming stores; the slices take the plain stores.
TEST_P(FastThreads, StreamingPathEqualsSlices) {
  const Format f = GetParam();
  const auto x = test::random_blocks((4u << 20) + 40, 32, 12);
  const bool nv = f == Format::nvfp4;
  const QuantConfig cfg{.round = Round::stochastic, .seed = 8, .tensor_scale = nv,
                        .tensor_scale_value = nv ? codecs::nvfp4_tensor_scale(x) : 0.0f, .index_base = 5};
  const auto whole = fast(f, x, cfg, 2);
  std::vector<float> pieces(x.size());
  constexpr std::size_t kSlice = 96 * 1024;  // a multiple of every default block
  for (std::size_t i = 0; i < x.size(); i += kSlice) {
    const std::size_t n = std::min(kSlice, x.size() - i);
    QuantConfig c = cfg;
    c.index_base = cfg.index_base + i;
    fake_quantize(f, std::span(x).subspan(i, n), std::span(pieces).subspan(i, n), c);
  }
  EXPECT_TRUE(bit_equal(whole, pieces, x));
}

INSTANTIATE_TEST_SUITE_P(AllFormats, FastThreads, ::testing::ValuesIn(test::scalar_formats()), test::format_param_name);

}  // namespace
}  // namespace mxlab
