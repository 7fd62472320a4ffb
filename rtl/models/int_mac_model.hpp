// Bit-exact models of the integer units: INT-N MAC and the VQ dequant MAC (wrapping two's complement accumulators).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "formats/element.hpp"

namespace mxlab::rtl {

// acc <- wrap_{acc_bits}(acc + sum_i a_i b_i), a_i / b_i the two's complement INT-N values of the codes.
class IntMacModel {
 public:
  IntMacModel(Elem ea, Elem eb, int acc_bits = 32) : ea_(ea), eb_(eb), acc_bits_(acc_bits) {}
  std::int64_t step(bool clear, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

 private:
  Elem ea_, eb_;
  int acc_bits_;
  std::int64_t acc_ = 0;
};

// Codebook of K = 2^idx_bits INT8 codewords of dimension D; acc <- wrap(acc + sum_{i,d} cb[idx_i][d] x_{i,d}).
class VqMacModel {
 public:
  VqMacModel(int dim, int idx_bits, int acc_bits = 32);
  void write(int addr, std::span<const std::int8_t> codeword);
  std::int64_t step(bool clear, std::span<const std::uint32_t> idx, std::span<const std::int8_t> x);
  int dim() const { return dim_; }

 private:
  int dim_, idx_bits_, acc_bits_;
  std::vector<std::int8_t> cb_;
  std::int64_t acc_ = 0;
};

std::int64_t wrap_signed(std::int64_t v, int bits);  // v modulo 2^bits as a two's complement value

}  // namespace mxlab::rtl
