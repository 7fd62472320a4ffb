// Independent reference for the integer units (int_mac, vq_mac kinds): expected accumulators from the formats/
// decoders (decode_elem on INT-N codes; VqCodebook::decode on the codebook) in plain exact integer arithmetic, plus
// the stimulus (adversarial + seeded random) and golden-line format of these units. Nothing here mirrors the RTL.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "formats/element.hpp"
#include "formats/vq_codebook.hpp"

namespace mxlab::rtl {
struct UnitConfig;

// One int_mac input vector (one code byte per lane; the bits above the element's width are don't-care) and the
// expected accumulator output.
struct IntStep {
  bool clear = false;
  std::vector<std::uint8_t> a, b;
  std::int64_t acc = 0;  // expected, two's complement in [-2^(ACC_W-1), 2^(ACC_W-1))
};

// One vq_mac step: a codebook write (write = true: codeword cw at addr) or an input vector with its expected output.
struct VqStep {
  bool write = false;
  int addr = 0;
  std::vector<std::int8_t> cw;      // write: D entries
  bool clear = false;
  std::vector<std::uint32_t> idx;   // vector: N indices
  std::vector<std::int8_t> x;       // vector: N*D activations
  std::int64_t acc = 0;             // expected
};

namespace reference {

// acc_t = S_t mod 2^acc_bits (two's complement), S_t the exact (unbounded) sum of every lane product since the last
// clear: the wrapping accumulator's definition, computed without wrapping in between.
class IntMacReference {
 public:
  IntMacReference(Elem ea, Elem eb, int acc_bits = 32);
  std::int64_t step(bool clear, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
  std::size_t wraps() const { return wraps_; }  // steps whose exact sum lay outside the accumulator's range

 private:
  Elem ea_, eb_;
  int acc_bits_;
  __int128 exact_ = 0;
  std::size_t wraps_ = 0;
};

// The same for the VQ MAC: the dequantized weights are VqCodebook::decode(idx) / scale(), which must be integers
// (the INT8 entries); `load` names the codebook the unit holds from then on.
class VqMacReference {
 public:
  explicit VqMacReference(int acc_bits = 32) : acc_bits_(acc_bits) {}
  void load(const VqCodebook& cb);
  std::int64_t step(bool clear, std::span<const std::uint32_t> idx, std::span<const std::int8_t> x);
  std::size_t wraps() const { return wraps_; }

 private:
  int acc_bits_;
  const VqCodebook* cb_ = nullptr;
  __int128 exact_ = 0;
  std::size_t wraps_ = 0;
};

std::int64_t mod_signed(__int128 v, int bits);  // v mod 2^bits as a two's complement value

// An INT8-storage codebook of the unit's shape (D = param D, K = 2^IDX_BITS) whose scale is exactly 1 (entries are
// the integers themselves, one of them +-127): random entries, or with `extreme` every entry +-127.
VqCodebook vq_test_codebook(const UnitConfig& u, std::uint64_t seed, bool extreme = false);
// The K writes that load `cb` into the unit (addresses in a seeded random order).
std::vector<VqStep> vq_load_steps(const VqCodebook& cb, std::uint64_t seed);

}  // namespace reference

// Adversarial then seeded random vectors of an int_mac unit, expected values from the reference: all-extreme codes
// (most negative x most negative, most negative x most positive), zeros with don't-care bits set, clears in a row,
// then `count` random vectors (random bytes, 1/64 clears, every 4th all extreme).
std::vector<IntStep> int_mac_stimulus(const UnitConfig& u, std::size_t count, std::uint64_t seed);
// Codebook loads (one extreme, then random ones) each followed by vectors (extremes first, then random), `count`
// random vectors in all, expected values from the reference.
std::vector<VqStep> vq_mac_stimulus(const UnitConfig& u, std::size_t count, std::uint64_t seed);

// Golden lines (all hex). int_mac: `clear A B acc`, A/B the lane buses as one number, lane N-1 first (2 digits a
// lane), acc the ACC_W-bit two's complement word. vq_mac: `W addr codeword` (entry D-1 first, 2 digits each) or
// `V clear idx x acc` (idx: index N-1 first, ceil(IDX_BITS/4) digits each; x: byte N*D-1 first).
std::string int_golden_line(const IntStep& s, int acc_bits = 32);
IntStep parse_int_golden_line(const std::string& line, int n);  // throws std::invalid_argument on a bad line
std::string vq_golden_line(const VqStep& s, int idx_bits, int acc_bits = 32);
VqStep parse_vq_golden_line(const std::string& line, int n, int dim, int idx_bits);
std::string int_golden_header(const UnitConfig& u, std::uint64_t seed);

}  // namespace mxlab::rtl
