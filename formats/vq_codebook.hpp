// Vector-quantization codebook format: D-dim FP16/INT8 codewords, nearest-codeword encode, packed indices.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mxlab {

// IEEE 754-2019 binary16 (sec. 3.6, table 3.5: k = 16, p = 11, emax = 15, bias 15).
// float -> half rounds to nearest, ties to even (sec. 4.3.1); overflow gives +-Inf; NaN stays a quiet NaN.
std::uint16_t float_to_half(float x);
float half_to_float(std::uint16_t h);  // exact (every binary16 value is a binary32 value)

// Append-only: the value is written into serialized codebooks.
enum class VqStorage : std::uint8_t {
  fp16 = 0,  // each entry is an IEEE binary16 value
  int8 = 1,  // each entry is q * s, q in [-127, 127], one FP32 scale s = max|c| / 127 per codebook
};

class VqCodebook {
 public:
  static constexpr int kMaxIndexBits = 16;  // K = 2^(bits * dim) <= 65536

  // codewords: K x dim floats, row-major, K = 2^(bits * dim); dim in {1, 2, 4, 8}, bits >= 1.
  // The entries are rounded to the storage type; the rounded (decoded) codewords are what encode/decode use.
  // Throws std::invalid_argument on a bad dim/bits/size, a non-finite codeword, or (fp16) one beyond +-65504.
  VqCodebook(int dim, int bits, VqStorage storage, std::span<const float> codewords);

  int dim() const { return dim_; }
  int bits() const { return bits_; }                     // index bits per weight
  int index_bits() const { return bits_ * dim_; }        // bits of one packed index
  std::size_t size() const { return std::size_t{1} << index_bits(); }  // K
  VqStorage storage() const { return storage_; }
  int entry_bits() const { return storage_ == VqStorage::fp16 ? 16 : 8; }
  int scale_bits() const { return storage_ == VqStorage::int8 ? 32 : 0; }
  float scale() const { return scale_; }                 // int8: s; fp16: 1
  std::span<const float> codewords() const { return decoded_; }       // K x dim, decoded
  std::span<const std::uint16_t> fp16_entries() const { return fp16_; }  // empty unless fp16
  std::span<const std::int8_t> int8_entries() const { return int8_; }    // empty unless int8

  // x is split into consecutive dim-vectors (x.size() % dim == 0). index = argmin_k sum_d w_d (x_d - c_kd)^2,
  // accumulated in double as dist = fma(w_d, (x_d - c_kd)^2, dist) for d = 0.., ties to the smallest k.
  // weights: empty (all 1) or x.size() finite non-negative values. Non-finite x throws.
  std::vector<std::uint32_t> encode(std::span<const float> x, std::span<const float> weights = {}) const;
  // Lookup: dim floats per index; throws on an index >= K.
  std::vector<float> decode(std::span<const std::uint32_t> indices) const;

  // Bits of the stored codebook: K * dim * entry_bits + scale_bits.
  std::uint64_t storage_bits() const {
    return static_cast<std::uint64_t>(size()) * static_cast<std::uint64_t>(dim_ * entry_bits()) +
           static_cast<std::uint64_t>(scale_bits());
  }
  // bits + storage_bits() / weights_per_codebook (the codebook amortized over the
  // weights that share it). Throws on 0.
  double bits_per_weight(std::size_t weights_per_codebook) const;

  // Little-endian: "MXVQ", u16 version (1), u8 dim, u8 bits, u8 storage, 3 zero bytes, u32 K,
  // then (int8) f32 scale and K*dim int8 entries, or (fp16) K*dim u16 entries. Exact round trip.
  std::vector<std::uint8_t> serialize() const;
  static VqCodebook deserialize(std::span<const std::uint8_t> bytes);  // throws on a bad/truncated buffer
  // An INT8 codebook from its stored form: scale s (finite, >= 0) and K x dim entries in [-127, 127].
  static VqCodebook from_int8(int dim, int bits, float scale, std::span<const std::int8_t> entries);
  // The stored form of an INT8 codebook, as a VQ format's block begins (formats/vq_codecs.cpp): the FP32 scale
  // (little-endian), then the K x dim entries; 4 + K * dim bytes at out. Throws for FP16 storage.
  void store_int8(std::uint8_t* out) const;

 private:
  VqCodebook(int dim, int bits, VqStorage storage);  // validates the shape only
  void decode_entries();                             // fills decoded_ from fp16_ / int8_ and scale_

  int dim_ = 0;
  int bits_ = 0;
  VqStorage storage_ = VqStorage::fp16;
  float scale_ = 1.0f;
  std::vector<std::uint16_t> fp16_;
  std::vector<std::int8_t> int8_;
  std::vector<float> decoded_;
};

// Packs indices as an LSB-first bit stream: index i at bits [i*b, (i+1)*b), ceil(n*b/8) bytes, unused bits 0.
// b = index_bits in [1, 16]; throws on an index >= 2^b.
std::vector<std::uint8_t> pack_indices(std::span<const std::uint32_t> indices, int index_bits);
// Inverse of pack_indices for n indices; throws if bytes holds fewer than ceil(n*b/8) bytes.
std::vector<std::uint32_t> unpack_indices(std::span<const std::uint8_t> bytes, int index_bits, std::size_t n);

}  // namespace mxlab
