// INT-N MAC and VQ dequant MAC models (mirror rtl/sv/mxlab_int_mac.sv and rtl/sv/mxlab_vq_mac.sv).
#include "rtl/models/int_mac_model.hpp"

#include <stdexcept>
#include <string>

namespace mxlab::rtl {

std::int64_t wrap_signed(std::int64_t v, int bits) {
  const auto u = static_cast<std::uint64_t>(v) & ((std::uint64_t{1} << bits) - 1);
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>(u ^ sign) - static_cast<std::int64_t>(sign);
}

std::int64_t IntMacModel::step(bool clear, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) throw std::invalid_argument("IntMacModel: A and B differ in length");
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    sum += static_cast<std::int64_t>(decode_elem(ea_, a[i])) * static_cast<std::int64_t>(decode_elem(eb_, b[i]));
  acc_ = wrap_signed((clear ? 0 : acc_) + sum, acc_bits_);
  return acc_;
}

VqMacModel::VqMacModel(int dim, int idx_bits, int acc_bits)
    : dim_(dim), idx_bits_(idx_bits), acc_bits_(acc_bits), cb_(static_cast<std::size_t>(dim) << idx_bits, 0) {}

void VqMacModel::write(int addr, std::span<const std::int8_t> codeword) {
  if (addr < 0 || addr >= (1 << idx_bits_) || static_cast<int>(codeword.size()) != dim_)
    throw std::invalid_argument("VqMacModel::write: bad address " + std::to_string(addr) + " or codeword size");
  for (int d = 0; d < dim_; ++d) cb_[static_cast<std::size_t>(addr * dim_ + d)] = codeword[d];
}

std::int64_t VqMacModel::step(bool clear, std::span<const std::uint32_t> idx, std::span<const std::int8_t> x) {
  if (x.size() != idx.size() * dim_) throw std::invalid_argument("VqMacModel::step: x must hold idx.size() * dim values");
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < idx.size(); ++i)
    for (int d = 0; d < dim_; ++d)
      sum += std::int64_t{cb_[(idx[i] & ((1u << idx_bits_) - 1)) * dim_ + d]} * x[i * dim_ + d];
  acc_ = wrap_signed((clear ? 0 : acc_) + sum, acc_bits_);
  return acc_;
}

}  // namespace mxlab::rtl
