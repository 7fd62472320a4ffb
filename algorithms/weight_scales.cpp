// RTN with its block scales recorded, and the exact bit count of a quantized weight.
#include "algorithms/weight_scales.hpp"

#include <algorithm>
#include <stdexcept>

#include "formats/block_codecs.hpp"
#include "formats/packed.hpp"

namespace mxlab::algorithms {

std::size_t WeightScales::scale_bytes() const {
  return quant.format ? static_cast<std::size_t>(traits(*quant.format).scale_bits() / 8) : 0;
}

std::uint64_t weight_bits(const model::TensorQuant& q, Eigen::Index rows, Eigen::Index cols) {
  if (!q.format) throw std::invalid_argument("weight_bits: no weight format");
  const FormatTraits& t = traits(*q.format);
  const auto b = static_cast<std::uint64_t>(q.block_for(static_cast<int>(cols)));
  const auto r = static_cast<std::uint64_t>(rows), k = static_cast<std::uint64_t>(cols);
  const std::uint64_t per_row = (k + b - 1) / b * static_cast<std::uint64_t>(t.scale_bits()) +
                                k * static_cast<std::uint64_t>(t.code_bits());
  return r * per_row + (q.cfg.tensor_scale ? 32 : 0);
}

WeightScales rtn_quantize(const model::TensorQuant& q, Matrix& w) {
  if (!q.format) throw std::invalid_argument("rtn_quantize: no weight format");
  WeightScales s{q, w.rows(), w.cols(), q.block_for(static_cast<int>(w.cols())), {}, 1.0f};
  const std::size_t sb = s.scale_bytes();
  const Eigen::Index nb = s.blocks_per_row(), cols = w.cols();
  s.bytes.resize(static_cast<std::size_t>(w.rows() * nb) * sb);
  QuantConfig cfg = q.cfg;
  cfg.tensor_scale = false;  // BlockQuantizer takes the tensor scale explicitly
  if (q.cfg.tensor_scale) s.tensor_scale = codecs::nvfp4_tensor_scale({w.data(), static_cast<std::size_t>(w.size())});
  // Row r is one flat vector (as model::quantize_rows with stream 0): block j starts at flat index r*cols + j*b.
#pragma omp parallel for schedule(static) if (w.rows() > 1 && w.size() > 4096)
  for (Eigen::Index r = 0; r < w.rows(); ++r) {
    std::vector<float> row(w.row(r).data(), w.row(r).data() + cols);
    if (cfg.flush_subnormal_inputs) row = flush_subnormal_blocks(row, static_cast<std::size_t>(s.block));
    const std::size_t first = cfg.index_base + static_cast<std::size_t>(r * cols);  // flat index of the row
    for (Eigen::Index j = 0; j < nb; ++j) {
      const auto c0 = static_cast<std::size_t>(j * s.block), n = std::min<std::size_t>(s.block, row.size() - c0);
      QuantConfig bc = cfg;
      bc.index_base = first + c0;
      const BlockQuantizer qz(*q.format, std::span<const float>(row).subspan(c0, n), bc, s.tensor_scale);
      std::copy_n(qz.scale_bytes().begin(), sb, &s.bytes[static_cast<std::size_t>(r * nb + j) * sb]);
      if (q.cfg.tensor_scale)  // the matrix-wide tensor scale: quantize against this block's scale directly
        for (std::size_t c = c0; c < c0 + n; ++c) w(r, static_cast<Eigen::Index>(c)) = qz.quantize(row[c], first + c);
    }
  }
  if (!q.cfg.tensor_scale) model::quantize_rows(q, w);  // the fast path: the same codes as the scales above
  return s;
}

}  // namespace mxlab::algorithms
