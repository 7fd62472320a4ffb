// Packing: the reference encoder/decoder over whole tensors, and the MXLP serialized form.
#include "formats/packed.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "formats/block_codecs.hpp"

namespace mxlab {

namespace {
BlockContext context(const PackedTensor& p, Round round, std::uint32_t key, std::size_t first) {
  return {traits(p.format), round, key, first, p.has_tensor_scale ? p.tensor_scale : 1.0f};
}
}  // namespace

PackedTensor encode_ref(Format f, std::span<const float> in, const QuantConfig& cfg) {
  if (cfg.flush_subnormal_inputs) {
    QuantConfig plain = cfg;
    plain.flush_subnormal_inputs = false;
    return encode_ref(f, flush_subnormal_blocks(in, static_cast<std::size_t>(resolve_block(traits(f), cfg))), plain);
  }
  const FormatTraits& t = traits(f);
  PackedTensor p;
  p.format = f;
  p.block = resolve_block(t, cfg);
  p.count = in.size();
  if (cfg.tensor_scale) {
    p.has_tensor_scale = true;
    p.tensor_scale = codecs::nvfp4_tensor_scale(in, cfg);
  }
  const std::size_t bb = t.block_bytes(p.block), nb = p.block_count();
  p.bytes.assign(nb * bb, 0);
  const std::uint32_t key = stochastic_key(cfg.seed);
#pragma omp parallel for schedule(static)
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t first = b * p.block, n = std::min<std::size_t>(p.block, p.count - first);
    const BlockContext c = context(p, cfg.round, key, cfg.index_base + first);
    t.encode_scale_ref(c, in.subspan(first, n), &p.bytes[b * bb]);
    t.encode_elements_ref(c, in.subspan(first, n), &p.bytes[b * bb]);
  }
  return p;
}

void decode(const PackedTensor& p, std::span<float> out) {
  const FormatTraits& t = traits(p.format);
  if (out.size() != p.count) throw std::invalid_argument("decode: output size differs from the packed count");
  const std::size_t bb = t.block_bytes(p.block), nb = p.block_count();
  if (p.bytes.size() != nb * bb) throw std::invalid_argument("decode: packed byte count does not match the layout");
#pragma omp parallel for schedule(static)
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t first = b * p.block, n = std::min<std::size_t>(p.block, p.count - first);
    t.decode_block(context(p, Round::even, 0, first), &p.bytes[b * bb], out.subspan(first, n));
  }
}
std::vector<float> decode(const PackedTensor& p) {
  std::vector<float> out(p.count);
  decode(p, out);
  return out;
}

std::size_t packed_row_bytes(Format f, int block, int cols) {
  const FormatTraits& t = traits(f);
  if (block <= 0 || cols < 0)
    throw std::invalid_argument(std::string("packed rows of ") + t.name + ": block " + std::to_string(block) +
                                " and cols " + std::to_string(cols) + " must be > 0 and >= 0");
  return (static_cast<std::size_t>(cols) + block - 1) / block * t.block_bytes(block);
}

std::vector<std::uint8_t> pack_rows(Format f, int block, std::span<const float> values, int rows, int cols,
                                    std::span<const std::uint8_t> scales, float tensor_scale) {
  const FormatTraits& t = traits(f);
  const int nbr = (cols + block - 1) / block;
  const std::size_t sb = static_cast<std::size_t>(t.scale_bits() / 8), bb = t.block_bytes(block);
  if (rows < 0 || cols <= 0 || block <= 0 || values.size() != static_cast<std::size_t>(rows) * cols ||
      scales.size() != static_cast<std::size_t>(rows) * nbr * sb)
    throw std::invalid_argument(std::string("pack_rows: ") + t.name + " values or scales do not fit " +
                                std::to_string(rows) + " x " + std::to_string(cols) + " in blocks of " +
                                std::to_string(block));
  std::vector<std::uint8_t> out(static_cast<std::size_t>(rows) * nbr * bb, 0);
  std::vector<float> back(static_cast<std::size_t>(block));
  for (int r = 0; r < rows; ++r)
    for (int b = 0; b < nbr; ++b) {
      const std::size_t first = static_cast<std::size_t>(b) * block, n = std::min<std::size_t>(block, cols - first);
      const std::span<const float> x = values.subspan(static_cast<std::size_t>(r) * cols + first, n);
      std::uint8_t* blk = &out[(static_cast<std::size_t>(r) * nbr + b) * bb];
      std::copy_n(&scales[(static_cast<std::size_t>(r) * nbr + b) * sb], sb, blk);
      const BlockContext c{t, Round::even, 0, first, tensor_scale};
      t.encode_elements_ref(c, x, blk);
      t.decode_block(c, blk, std::span<float>(back).first(n));
      for (std::size_t i = 0; i < n; ++i)
        if (back[i] != x[i])  // +0 and -0 are one value (an INT code has no -0)
          throw std::invalid_argument(std::string("pack_rows: ") + t.name + " value " + std::to_string(x[i]) +
                                      " at row " + std::to_string(r) + ", column " + std::to_string(first + i) +
                                      " is not on the grid of its block scale");
    }
  return out;
}

std::vector<float> unpack_rows(Format f, int block, std::span<const std::uint8_t> bytes, int rows, int cols,
                               float tensor_scale) {
  const std::size_t rb = packed_row_bytes(f, block, cols);
  if (rows < 0 || bytes.size() != static_cast<std::size_t>(rows) * rb)
    throw std::invalid_argument(std::string("unpack_rows: ") + std::to_string(bytes.size()) + " bytes are not " +
                                std::to_string(rows) + " rows of " + std::to_string(rb) + " (" + traits(f).name +
                                ", block " + std::to_string(block) + ")");
  std::vector<float> out(static_cast<std::size_t>(rows) * cols);
  PackedTensor p{f, block, static_cast<std::size_t>(cols), tensor_scale != 1.0f, tensor_scale, {}};
  for (int r = 0; r < rows; ++r) {
    p.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(r * rb), bytes.begin() + static_cast<std::ptrdiff_t>((r + 1) * rb));
    decode(p, std::span<float>(out).subspan(static_cast<std::size_t>(r) * cols, cols));
  }
  return out;
}

BlockQuantizer::BlockQuantizer(Format f, std::span<const float> values, const QuantConfig& cfg, float tensor_scale)
    : t_(traits(f)), round_(cfg.round), key_(stochastic_key(cfg.seed)), tensor_scale_(tensor_scale) {
  resolve_block(t_, cfg);
  scale_.assign(static_cast<std::size_t>(t_.scale_bits() / 8), 0);
  t_.encode_scale_ref({t_, round_, key_, cfg.index_base, tensor_scale_}, values, scale_.data());
}

float BlockQuantizer::quantize(float x, std::size_t index) const {
  if (t_.family == Family::vq)  // a VQ value is one lane of a D-vector looked up in a learned codebook
    throw std::invalid_argument(std::string(t_.name) + " is a VQ format: it has no per-value quantizer (use gptvq)");
  std::array<std::uint8_t, 16> block{};  // the scale (<= 5 bytes) and one element code
  std::copy_n(scale_.begin(), t_.scale_bits() / 8, block.begin());
  const BlockContext c{t_, round_, key_, index, tensor_scale_};
  t_.encode_elements_ref(c, {&x, 1}, block.data());
  float y;
  t_.decode_block(c, block.data(), {&y, 1});
  return y;
}

// Header (32 bytes, little-endian): "MXLP", u16 version 1, u8 format id, u8 flags (bit 0: tensor scale),
// u32 block, u64 count, f32 tensor scale, 8 reserved zero bytes.
namespace {
constexpr std::size_t kHeader = 32;
template <class T> void put(std::vector<std::uint8_t>& v, std::size_t at, T x) { std::memcpy(&v[at], &x, sizeof x); }
template <class T> T get(std::span<const std::uint8_t> v, std::size_t at) { T x; std::memcpy(&x, &v[at], sizeof x); return x; }
}  // namespace

std::vector<std::uint8_t> serialize(const PackedTensor& p) {
  std::vector<std::uint8_t> v(kHeader + p.bytes.size(), 0);
  std::memcpy(v.data(), "MXLP", 4);
  put<std::uint16_t>(v, 4, 1);
  v[6] = static_cast<std::uint8_t>(p.format);
  v[7] = p.has_tensor_scale ? 1 : 0;
  put<std::uint32_t>(v, 8, static_cast<std::uint32_t>(p.block));
  put<std::uint64_t>(v, 12, p.count);
  put<float>(v, 20, p.tensor_scale);
  std::copy(p.bytes.begin(), p.bytes.end(), v.begin() + kHeader);
  return v;
}

PackedTensor deserialize(std::span<const std::uint8_t> v) {
  if (v.size() < kHeader || std::memcmp(v.data(), "MXLP", 4) != 0)
    throw std::invalid_argument("not an MXLP packed tensor (missing 'MXLP' magic)");
  if (get<std::uint16_t>(v, 4) != 1) throw std::invalid_argument("unsupported MXLP version " + std::to_string(get<std::uint16_t>(v, 4)));
  if (v[6] >= kFormatCount) throw std::invalid_argument("MXLP header names unknown format id " + std::to_string(v[6]));
  PackedTensor p;
  p.format = static_cast<Format>(v[6]);
  p.has_tensor_scale = (v[7] & 1) != 0;
  p.block = static_cast<int>(get<std::uint32_t>(v, 8));
  p.count = get<std::uint64_t>(v, 12);
  p.tensor_scale = get<float>(v, 20);
  if (p.block <= 0)  // serialize() writes the resolved block; 0 would make block_count() 0 for any count
    throw std::invalid_argument("MXLP header block " + std::to_string(p.block) + " is not a positive block size");
  resolve_block(traits(p.format), {.block = p.block, .tensor_scale = p.has_tensor_scale});
  if (p.has_tensor_scale && !(p.tensor_scale > 0 && std::isfinite(p.tensor_scale)))
    throw std::invalid_argument("MXLP tensor scale " + std::to_string(p.tensor_scale) + " is not a positive number");
  if (p.count > (std::numeric_limits<std::uint64_t>::max() >> 8))
    throw std::invalid_argument("MXLP header count " + std::to_string(p.count) + " is not plausible");
  const std::size_t nb = p.block_count(), bb = traits(p.format).block_bytes(p.block), payload = v.size() - kHeader;
  const bool wraps = nb > std::numeric_limits<std::size_t>::max() / bb;  // a lying count: nb * bb would wrap around
  if (wraps || nb * bb != payload)
    throw std::invalid_argument("MXLP payload is " + std::to_string(payload) + " bytes, layout needs " +
                                (wraps ? std::to_string(nb) + " blocks of " + std::to_string(bb) + " bytes"
                                       : std::to_string(nb * bb)));
  p.bytes.assign(v.begin() + kHeader, v.end());
  return p;
}

}  // namespace mxlab
