// VQ block codec (Family::vq): a block is one INT8 codebook and the indices of its D-vectors.
//
// Block layout: [FP32 scale s, little-endian][K x D int8 entries q_kd, row-major][indices, LSB-first, bits * D
// each], K = 2^(bits * D); codeword k = (fl32(q_k0 * s), ..., fl32(q_k(D-1) * s)) (VqCodebook, INT8 storage).
// A block's values are its ceil(n / D) consecutive D-vectors (a trailing partial vector padded with zeros).
// Reference encoder (deterministic, for RTN-style use; GPTVQ writes its own, better, codebooks in this layout):
//   codebook: k-means++ seeding (seed kVqSeed) and at most kVqLloydSteps Lloyd steps in plain squared distance
//             (formats/vq_kmeans.hpp, unit weights), then INT8 compression s = max|c| / 127, q = RNE(c / s);
//   indices:  each vector's nearest decoded codeword (ties to the smallest index; VqCodebook::encode).
// Decode is a lookup: exact. A NaN/Inf in the block gives a NaN scale (the block decodes to NaN); the rounding
// mode does not apply (the nearest codeword is the only choice).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "formats/bit_codes.hpp"
#include "formats/block_codecs.hpp"
#include "formats/vq_codebook.hpp"
#include "formats/vq_kmeans.hpp"

namespace mxlab::codecs {
namespace {

constexpr std::uint64_t kVqSeed = 0;
constexpr int kVqLloydSteps = 25;

std::size_t codebook_size(const FormatTraits& t) { return std::size_t{1} << (t.vq_bits * t.vq_dim); }
const std::uint8_t* index_area(const FormatTraits& t, const std::uint8_t* block) { return block + t.scale_bits() / 8; }
float scale_of(const std::uint8_t* block) { float s; std::memcpy(&s, block, 4); return s; }

// The block's D-vectors, a trailing partial vector padded with zeros.
std::vector<float> padded(std::span<const float> x, int dim) {
  std::vector<float> v((x.size() + dim - 1) / dim * dim, 0.0f);
  std::copy(x.begin(), x.end(), v.begin());
  return v;
}

}  // namespace

void scale_vq(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const FormatTraits& t = c.t;
  const std::size_t entries = codebook_size(t) * static_cast<std::size_t>(t.vq_dim);
  std::memset(block, 0, 4 + entries);
  if (block_amax(x).special) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(block, &nan, 4);
    return;
  }
  const std::vector<float> v = padded(x, t.vq_dim);
  const std::vector<double> points(v.begin(), v.end()), weights(v.size(), 1.0);
  const KmeansResult km = weighted_kmeans(points, weights, t.vq_dim, codebook_size(t), kVqLloydSteps, kVqSeed);
  VqCodebook(t.vq_dim, t.vq_bits, VqStorage::int8, std::vector<float>(km.centroids.begin(), km.centroids.end()))
      .store_int8(block);
}

void elements_vq(const BlockContext& c, std::span<const float> x, std::uint8_t* block) {
  const FormatTraits& t = c.t;
  const float s = scale_of(block);
  if (!std::isfinite(s)) return;  // NaN block: indices stay 0
  const std::size_t entries = codebook_size(t) * static_cast<std::size_t>(t.vq_dim);
  const VqCodebook cb = VqCodebook::from_int8(t.vq_dim, t.vq_bits, s,
                                              {reinterpret_cast<const std::int8_t*>(block + 4), entries});
  const std::vector<std::uint32_t> idx = cb.encode(padded(x, t.vq_dim));
  std::uint8_t* codes = block + t.scale_bits() / 8;
  for (std::size_t i = 0; i < idx.size(); ++i) put_code(codes, t.vq_bits * t.vq_dim, i, idx[i]);
}

void decode_vq(const BlockContext& c, const std::uint8_t* block, std::span<float> out) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>(vq_lane_entry(c.t, block, i)) * scale_of(block);
}

std::int8_t vq_lane_entry(const FormatTraits& t, const std::uint8_t* block, std::size_t i) {
  const auto d = static_cast<std::size_t>(t.vq_dim);
  const std::uint32_t k = get_code(index_area(t, block), t.vq_bits * t.vq_dim, i / d);
  return static_cast<std::int8_t>(block[4 + k * d + i % d]);
}

}  // namespace mxlab::codecs
