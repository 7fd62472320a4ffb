// VQ codebook format: FP16/INT8 entry rounding, nearest-codeword encode, lookup decode, packing, serialization.
#include "formats/vq_codebook.hpp"

#include "formats/bit_codes.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>

namespace mxlab {

// IEEE 754-2019 sec. 3.4: binary16 = sign(1) | biased exponent E(5, bias 15) | trailing significand T(10).
// E = 0: (-1)^S * 2^-14 * (0.T); 1 <= E <= 30: (-1)^S * 2^(E-15) * (1.T); E = 31: Inf (T = 0) or NaN.
std::uint16_t float_to_half(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const auto sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t mag = u & 0x7fffffffu;
  if (mag >= 0x7f800000u) {  // Inf, or NaN: keep the top payload bits and force the quiet bit
    return static_cast<std::uint16_t>(sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u | ((mag >> 13) & 0x3ffu) : 0u));
  }
  const int e = static_cast<int>(mag >> 23) - 127;  // unbiased binary32 exponent (float subnormals: -127)
  if (e > 15) return static_cast<std::uint16_t>(sign | 0x7c00u);  // >= 2^16: beyond every finite half
  if (e >= -14) {  // binary16 normal range: drop 13 significand bits, round half to even; a carry may reach Inf
    std::uint32_t h = (static_cast<std::uint32_t>(e + 15) << 10) | ((mag >> 13) & 0x3ffu);
    const std::uint32_t rem = mag & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(sign | h);
  }
  // Subnormal result: count units of 2^-24. |x| = sig * 2^(e-23), so units = sig / 2^shift, shift = -(e+1).
  const int shift = -(e + 1);                 // >= 14 here
  if (shift > 24) return sign;                // |x| < 2^-25: below half the smallest subnormal
  const std::uint32_t sig = (mag & 0x7fffffu) | 0x800000u;
  std::uint32_t q = sig >> shift;
  const std::uint32_t rem = sig & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;  // q = 0x400 becomes the smallest normal, as it should
  return static_cast<std::uint16_t>(sign | q);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  int exp = (h >> 10) & 0x1f;
  std::uint32_t man = h & 0x3ffu;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    if (man == 0) return std::bit_cast<float>(sign);
    exp = 1;  // subnormal: normalize 0.T * 2^-14 into 1.T' * 2^(exp-15)
    while (!(man & 0x400u)) { man <<= 1; --exp; }
    man &= 0x3ffu;
  }
  return std::bit_cast<float>(sign | (static_cast<std::uint32_t>(exp + 112) << 23) | (man << 13));  // 127 - 15
}

namespace {

constexpr char kMagic[4] = {'M', 'X', 'V', 'Q'};
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 16;

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument(what); }

// round_half_even(|c| / s) computed exactly in double (q * s and the remainder are exact), clamped to 127.
int quantize_int8(float c, float s) {
  if (s == 0.0f) return 0;
  const double a = std::fabs(static_cast<double>(c)), sd = s;
  double q = std::floor(a / sd);
  while (q > 0 && q * sd > a) q -= 1;
  while ((q + 1) * sd <= a) q += 1;
  const double twice_rem = 2 * (a - q * sd);  // a - q*s is exact: Sterbenz (q*s <= a < 2*q*s) or q = 0
  if (twice_rem > sd || (twice_rem == sd && std::fmod(q, 2.0) == 1.0)) q += 1;
  const int r = static_cast<int>(std::min(q, 127.0));
  return c < 0 ? -r : r;
}

void put_u16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  v.push_back(static_cast<std::uint8_t>(x));
  v.push_back(static_cast<std::uint8_t>(x >> 8));
}
void put_u32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}
std::uint32_t get_le(std::span<const std::uint8_t> b, std::size_t at, int n) {
  std::uint32_t x = 0;
  for (int i = 0; i < n; ++i) x |= static_cast<std::uint32_t>(b[at + i]) << (8 * i);
  return x;
}

void check_index_bits(int b, const char* who) {
  if (b < 1 || b > VqCodebook::kMaxIndexBits)
    fail(std::string(who) + ": index_bits must be in [1, 16] (got " + std::to_string(b) + ")");
}

}  // namespace

VqCodebook::VqCodebook(int dim, int bits, VqStorage storage) : dim_(dim), bits_(bits), storage_(storage) {
  if (dim != 1 && dim != 2 && dim != 4 && dim != 8)
    fail("VQ codebook dim must be 1, 2, 4 or 8 (got " + std::to_string(dim) + ")");
  if (bits < 1) fail("VQ codebook bits per dimension must be >= 1 (got " + std::to_string(bits) + ")");
  if (bits > kMaxIndexBits || bits * dim > kMaxIndexBits)
    fail("VQ codebook with dim " + std::to_string(dim) + " and " + std::to_string(bits) +
         " bits per dimension needs K = 2^" + std::to_string(static_cast<long long>(bits) * dim) +
         " entries; at most 2^16 are supported: lower bits or dim");
  if (storage != VqStorage::fp16 && storage != VqStorage::int8)
    fail("unknown VQ storage code " + std::to_string(static_cast<int>(storage)) + " (0 = fp16, 1 = int8)");
}

VqCodebook::VqCodebook(int dim, int bits, VqStorage storage, std::span<const float> codewords)
    : VqCodebook(dim, bits, storage) {
  const std::size_t n = size() * static_cast<std::size_t>(dim);
  if (codewords.size() != n)
    fail("VQ codebook needs K x dim = " + std::to_string(size()) + " x " + std::to_string(dim) + " = " +
         std::to_string(n) + " codeword values (got " + std::to_string(codewords.size()) + ")");
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(codewords[i])) fail("VQ codeword value " + std::to_string(i) + " is not finite");
  if (storage == VqStorage::fp16) {
    fp16_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      fp16_[i] = float_to_half(codewords[i]);
      if ((fp16_[i] & 0x7c00u) == 0x7c00u)
        fail("codeword out of FP16 range: value " + std::to_string(i) + " = " + std::to_string(codewords[i]) +
             " rounds beyond +-65504; rescale the codewords or use int8 storage");
    }
  } else {
    // One FP32 scale per codebook: s = max|c| / 127 (s = 0 when every entry is 0); entries round_half_even(c/s).
    float amax = 0.0f;
    for (float c : codewords) amax = std::max(amax, std::fabs(c));
    scale_ = amax / 127.0f;
    if (amax > 0.0f && scale_ == 0.0f) scale_ = std::numeric_limits<float>::denorm_min();  // keeps |c-c'| <= s/2
    int8_.resize(n);
    for (std::size_t i = 0; i < n; ++i) int8_[i] = static_cast<std::int8_t>(quantize_int8(codewords[i], scale_));
  }
  decode_entries();
}

void VqCodebook::decode_entries() {
  const std::size_t n = size() * static_cast<std::size_t>(dim_);
  decoded_.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    decoded_[i] = storage_ == VqStorage::fp16 ? half_to_float(fp16_[i]) : static_cast<float>(int8_[i]) * scale_;
}

std::vector<std::uint32_t> VqCodebook::encode(std::span<const float> x, std::span<const float> weights) const {
  const auto d = static_cast<std::size_t>(dim_);
  if (x.size() % d != 0)
    fail("VQ encode: input size " + std::to_string(x.size()) + " is not a multiple of dim " + std::to_string(dim_));
  if (!weights.empty() && weights.size() != x.size())
    fail("VQ encode: weights must be empty or have one value per input (" + std::to_string(x.size()) +
         "), got " + std::to_string(weights.size()));
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) fail("VQ encode: input " + std::to_string(i) + " is not finite");
  for (std::size_t i = 0; i < weights.size(); ++i)
    if (!(weights[i] >= 0.0f) || !std::isfinite(weights[i]))
      fail("VQ encode: weight " + std::to_string(i) + " must be finite and non-negative");
  const std::size_t k_count = size();
  std::vector<std::uint32_t> out(x.size() / d);
  for (std::size_t v = 0; v < out.size(); ++v) {
    const float* xv = x.data() + v * d;
    const float* wv = weights.empty() ? nullptr : weights.data() + v * d;
    double best = std::numeric_limits<double>::infinity();
    std::uint32_t best_k = 0;
    for (std::size_t k = 0; k < k_count; ++k) {
      const float* c = decoded_.data() + k * d;
      // dist_{j+1} = fma(w_j, (x_j - c_j)^2, dist_j): one fixed rounding sequence, whatever the compiler contracts.
      // Partial sums never decrease, and a tie keeps the smaller index, so a partial sum >= best cannot win.
      double dist = 0.0;
      std::size_t j = 0;
      for (; j < d; ++j) {
        const double diff = static_cast<double>(xv[j]) - static_cast<double>(c[j]);
        dist = std::fma(wv ? static_cast<double>(wv[j]) : 1.0, diff * diff, dist);
        if (dist >= best) break;
      }
      if (j == d) {  // completed: dist < best
        best = dist;
        best_k = static_cast<std::uint32_t>(k);
      }
    }
    out[v] = best_k;
  }
  return out;
}

std::vector<float> VqCodebook::decode(std::span<const std::uint32_t> indices) const {
  const auto d = static_cast<std::size_t>(dim_);
  std::vector<float> out(indices.size() * d);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >= size())
      fail("VQ decode: index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
           " is outside the codebook (K = " + std::to_string(size()) + ")");
    std::copy_n(decoded_.data() + indices[i] * d, d, out.data() + i * d);
  }
  return out;
}

double VqCodebook::bits_per_weight(std::size_t weights_per_codebook) const {
  if (weights_per_codebook == 0) fail("VQ bits_per_weight: weights_per_codebook must be positive");
  return bits_ + static_cast<double>(storage_bits()) / static_cast<double>(weights_per_codebook);
}

std::vector<std::uint8_t> VqCodebook::serialize() const {
  std::vector<std::uint8_t> v(std::begin(kMagic), std::end(kMagic));
  put_u16(v, kVersion);
  v.push_back(static_cast<std::uint8_t>(dim_));
  v.push_back(static_cast<std::uint8_t>(bits_));
  v.push_back(static_cast<std::uint8_t>(storage_));
  v.insert(v.end(), 3, 0);
  put_u32(v, static_cast<std::uint32_t>(size()));
  if (storage_ == VqStorage::fp16) {
    for (std::uint16_t h : fp16_) put_u16(v, h);
  } else {
    put_u32(v, std::bit_cast<std::uint32_t>(scale_));
    for (std::int8_t q : int8_) v.push_back(static_cast<std::uint8_t>(q));
  }
  return v;
}

VqCodebook VqCodebook::deserialize(std::span<const std::uint8_t> b) {
  if (b.size() < kHeaderBytes)
    fail("VQ codebook buffer is truncated: " + std::to_string(b.size()) + " bytes, the header alone is 16");
  if (std::memcmp(b.data(), kMagic, 4) != 0) fail("not a VQ codebook (missing 'MXVQ' magic)");
  if (const auto ver = get_le(b, 4, 2); ver != kVersion)
    fail("unsupported VQ codebook version " + std::to_string(ver) + " (this build reads version 1)");
  if (b[9] != 0 || b[10] != 0 || b[11] != 0) fail("VQ codebook header: reserved bytes 9..11 must be zero");
  VqCodebook cb(b[6], b[7], static_cast<VqStorage>(b[8]));  // validates dim, bits and storage
  if (const auto k = get_le(b, 12, 4); k != cb.size())
    fail("VQ codebook header: K = " + std::to_string(k) + " but 2^(bits*dim) = " + std::to_string(cb.size()));
  const std::size_t n = cb.size() * static_cast<std::size_t>(cb.dim_);
  const std::size_t need = kHeaderBytes + (cb.storage_ == VqStorage::fp16 ? 2 * n : 4 + n);
  if (b.size() != need)
    fail("VQ codebook buffer is " + std::to_string(b.size()) + " bytes but its header describes " +
         std::to_string(need) + (b.size() < need ? " (truncated)" : " (trailing bytes)"));
  if (cb.storage_ == VqStorage::fp16) {
    cb.fp16_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      cb.fp16_[i] = static_cast<std::uint16_t>(get_le(b, kHeaderBytes + 2 * i, 2));
      if ((cb.fp16_[i] & 0x7c00u) == 0x7c00u) fail("VQ codebook entry " + std::to_string(i) + " is FP16 Inf/NaN");
    }
  } else {
    std::vector<std::int8_t> q(n);
    for (std::size_t i = 0; i < n; ++i) q[i] = static_cast<std::int8_t>(b[kHeaderBytes + 4 + i]);
    return from_int8(cb.dim_, cb.bits_, std::bit_cast<float>(get_le(b, kHeaderBytes, 4)), q);
  }
  cb.decode_entries();
  return cb;
}

void VqCodebook::store_int8(std::uint8_t* out) const {
  if (storage_ != VqStorage::int8) fail("VQ codebook: only INT8 codebooks have the VQ block layout");
  std::memcpy(out, &scale_, 4);  // little-endian host (x86-64), as formats/packed.hpp
  std::memcpy(out + 4, int8_.data(), int8_.size());
}

VqCodebook VqCodebook::from_int8(int dim, int bits, float scale, std::span<const std::int8_t> entries) {
  VqCodebook cb(dim, bits, VqStorage::int8);  // validates the shape
  const std::size_t n = cb.size() * static_cast<std::size_t>(dim);
  if (entries.size() != n)
    fail("VQ codebook needs " + std::to_string(n) + " int8 entries (got " + std::to_string(entries.size()) + ")");
  if (!std::isfinite(scale) || !(scale >= 0.0f)) fail("VQ codebook int8 scale must be finite and non-negative");
  for (std::size_t i = 0; i < n; ++i)
    if (entries[i] == -128) fail("VQ codebook entry " + std::to_string(i) + " is -128 (outside [-127, 127])");
  cb.scale_ = scale;
  cb.int8_.assign(entries.begin(), entries.end());
  cb.decode_entries();
  return cb;
}

std::vector<std::uint8_t> pack_indices(std::span<const std::uint32_t> indices, int index_bits) {
  check_index_bits(index_bits, "pack_indices");
  const auto b = static_cast<std::size_t>(index_bits);
  std::vector<std::uint8_t> out((indices.size() * b + 7) / 8, 0);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] >> b)
      fail("pack_indices: index " + std::to_string(indices[i]) + " at position " + std::to_string(i) +
           " does not fit in " + std::to_string(index_bits) + " bits");
    put_code(out.data(), index_bits, i, indices[i]);
  }
  return out;
}

std::vector<std::uint32_t> unpack_indices(std::span<const std::uint8_t> bytes, int index_bits, std::size_t n) {
  check_index_bits(index_bits, "unpack_indices");
  const auto b = static_cast<std::size_t>(index_bits);
  const std::size_t need = (n * b + 7) / 8;
  if (bytes.size() < need)
    fail("unpack_indices: " + std::to_string(n) + " indices of " + std::to_string(index_bits) + " bits need " +
         std::to_string(need) + " bytes (got " + std::to_string(bytes.size()) + ")");
  std::vector<std::uint32_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = get_code(bytes.data(), index_bits, i);
  return out;
}

}  // namespace mxlab
