// Bit-exact packed storage of block formats: [scale bytes][element codes, LSB-first] per block.
#pragma once
#include <cstddef>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "formats/bit_codes.hpp"
#include "formats/format.hpp"

namespace mxlab {

constexpr std::size_t packed_block_bytes(int scale_bits, int elem_bits, int n) {
  return static_cast<std::size_t>(scale_bits / 8) + (static_cast<std::size_t>(elem_bits) * n + 7) / 8;
}

// A block as a plain struct: the layout the generic packer writes, for the default block sizes.
template <int ScaleBytes, int ElemBits, int N>
struct PackedBlock {
  std::uint8_t scale[ScaleBytes];             // E8M0 / UE4M3 byte, or FP32 little-endian (+ zero point byte)
  std::uint8_t codes[(ElemBits * N + 7) / 8];  // element i at bits [i*ElemBits, (i+1)*ElemBits), LSB first
};
using MxFp8Block = PackedBlock<1, 8, 32>;
using MxFp6Block = PackedBlock<1, 6, 32>;
using MxFp4Block = PackedBlock<1, 4, 32>;
using MxInt2Block = PackedBlock<1, 2, 32>;
using NvFp4Block = PackedBlock<1, 4, 16>;
using Int4GroupBlock = PackedBlock<4, 4, 32>;
using Int4AsymBlock = PackedBlock<5, 4, 32>;
static_assert(sizeof(MxFp8Block) == 33 && sizeof(MxFp8Block) == packed_block_bytes(8, 8, 32));
static_assert(sizeof(MxFp6Block) == 25 && sizeof(MxFp6Block) == packed_block_bytes(8, 6, 32));
static_assert(sizeof(MxFp4Block) == 17 && sizeof(MxFp4Block) == packed_block_bytes(8, 4, 32));
static_assert(sizeof(MxInt2Block) == 9 && sizeof(MxInt2Block) == packed_block_bytes(8, 2, 32));
static_assert(sizeof(NvFp4Block) == 9 && sizeof(NvFp4Block) == packed_block_bytes(8, 4, 16));
static_assert(sizeof(Int4GroupBlock) == 20 && sizeof(Int4GroupBlock) == packed_block_bytes(32, 4, 32));
static_assert(sizeof(Int4AsymBlock) == 21 && sizeof(Int4AsymBlock) == packed_block_bytes(40, 4, 32));

struct PackedTensor {
  Format format{};
  int block = 0;
  std::size_t count = 0;       // number of values encoded (the last block may be partial)
  bool has_tensor_scale = false;
  float tensor_scale = 1.0f;   // nvfp4 second-level scale; decoded value = elem * block scale * tensor_scale
  std::vector<std::uint8_t> bytes;  // blocks back to back

  std::size_t block_count() const { return block == 0 ? 0 : (count + block - 1) / block; }
};

// Reference encoder (the oracle-checked definition of every format) and decoder.
PackedTensor encode_ref(Format f, std::span<const float> in, const QuantConfig& cfg = {});
void decode(const PackedTensor& p, std::span<float> out);
std::vector<float> decode(const PackedTensor& p);

// A rows x cols matrix packed row by row: each row the blocks of a PackedTensor of `cols` values (the last block
// of a row may be partial), rows back to back, packed_row_bytes each. For exporting weights a PTQ algorithm
// already quantized against known block scales (`scales`: rows x ceil(cols / block) scales of scale_bits / 8
// bytes, row-major; `tensor_scale`: nvfp4's second-level scale, 1 if none): the element codes are those that
// decode to the values (bit for bit, except that -0 may come back as +0); throws std::invalid_argument naming the
// first value that is off its block's grid (no code of that block reproduces it).
std::size_t packed_row_bytes(Format f, int block, int cols);
std::vector<std::uint8_t> pack_rows(Format f, int block, std::span<const float> values, int rows, int cols,
                                    std::span<const std::uint8_t> scales, float tensor_scale = 1.0f);
// The rows x cols values of pack_rows' layout, decoded exactly (throws on a byte count that does not fit).
std::vector<float> unpack_rows(Format f, int block, std::span<const std::uint8_t> bytes, int rows, int cols,
                               float tensor_scale = 1.0f);

// A block's scale decided once from some values, then any values quantized against it, as the block codec
// would quantize them in that block. GPTQ uses it: a group's scale is fixed when its first column is reached.
class BlockQuantizer {
 public:
  BlockQuantizer(Format f, std::span<const float> values, const QuantConfig& cfg = {}, float tensor_scale = 1.0f);
  // Fake-quantized x; `index` is x's flat index (the stochastic rounding draw). VQ formats have no per-value
  // quantizer (a value is one lane of a D-vector): throws std::invalid_argument.
  float quantize(float x, std::size_t index = 0) const;
  std::span<const std::uint8_t> scale_bytes() const { return {scale_.data(), static_cast<std::size_t>(t_.scale_bits() / 8)}; }

 private:
  const FormatTraits& t_;
  Round round_;
  std::uint32_t key_;
  float tensor_scale_;
  std::vector<std::uint8_t> scale_;  // scale_bits / 8 bytes (a VQ block's codebook)
};

// Serialized form ("MXLP" file): 32-byte little-endian header, then the blocks. Throws on a bad buffer.
std::vector<std::uint8_t> serialize(const PackedTensor& p);
PackedTensor deserialize(std::span<const std::uint8_t> bytes);

}  // namespace mxlab
