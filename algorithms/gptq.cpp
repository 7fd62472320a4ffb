// GPTQ as the reference implementation (gptq.py fasterquant) defines it, generalized to block formats:
// dampening, dead columns, Cholesky factor of H^-1 (upper), lazy batch updates, optional act order.
#include "algorithms/gptq.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "formats/block_codecs.hpp"
#include "formats/packed.hpp"

namespace mxlab::algorithms {
namespace {

// U with H^-1 = U^T U (torch: cholesky(cholesky_inverse(cholesky(H)), upper=True)); false if either
// factorization fails (H not numerically positive definite).
bool inverse_cholesky_upper(const Eigen::MatrixXd& h, Eigen::MatrixXd& u) {
  const Eigen::LLT<Eigen::MatrixXd> llt(h);
  if (llt.info() != Eigen::Success) return false;
  const Eigen::LLT<Eigen::MatrixXd> llt_inv(llt.solve(Eigen::MatrixXd::Identity(h.rows(), h.cols())));
  if (llt_inv.info() != Eigen::Success) return false;
  u = llt_inv.matrixU();
  return true;
}

}  // namespace

GptqResult gptq_quantize(const Matrix& weight, const Eigen::MatrixXd& hessian, const model::TensorQuant& quant,
                         const GptqOptions& opt) {
  const Eigen::Index rows = weight.rows(), cols = weight.cols();
  if (hessian.rows() != cols || hessian.cols() != cols)
    throw std::invalid_argument("GPTQ: Hessian is " + std::to_string(hessian.rows()) + "x" +
                                std::to_string(hessian.cols()) + ", the layer has " + std::to_string(cols) + " inputs");
  if (!quant.format) throw std::invalid_argument("GPTQ needs a weight format");
  if (opt.blocksize < 1) throw std::invalid_argument("GPTQ: blocksize must be >= 1");
  const FormatTraits& t = traits(*quant.format);
  const Eigen::Index group = std::min<Eigen::Index>(quant.block_for(static_cast<int>(cols)), cols);
  QuantConfig cfg = quant.cfg;
  cfg.tensor_scale = false;  // BlockQuantizer takes the tensor scale explicitly
  const float tensor_scale = quant.cfg.tensor_scale
                                 ? codecs::nvfp4_tensor_scale({weight.data(), static_cast<std::size_t>(weight.size())})
                                 : 1.0f;

  GptqResult res;
  res.tensor_scale = tensor_scale;
  const std::size_t scale_size = static_cast<std::size_t>(t.scale_bits() / 8);
  const Eigen::Index n_groups = (cols + group - 1) / group;
  res.scale_bytes.resize(static_cast<std::size_t>(rows * n_groups) * scale_size);
  auto keep_scale = [&](const BlockQuantizer& qz, Eigen::Index r, Eigen::Index g) {  // g: group of original columns
    const std::size_t at = static_cast<std::size_t>(r * n_groups + g) * scale_size;
    std::copy_n(qz.scale_bytes().begin(), scale_size, res.scale_bytes.begin() + static_cast<std::ptrdiff_t>(at));
  };
  Eigen::MatrixXd W = weight.cast<double>();  // column-major working copy
  Eigen::MatrixXd H = hessian;
  for (Eigen::Index j = 0; j < cols; ++j)
    if (H(j, j) == 0) { H(j, j) = 1; W.col(j).setZero(); ++res.dead_columns; }

  // Static groups: every block's scale from the (dead-zeroed) weights before any update.
  auto make_quantizer = [&](const Eigen::MatrixXd& src, Eigen::Index r, Eigen::Index g0) {
    std::vector<float> vals(static_cast<std::size_t>(std::min(group, src.cols() - g0)));
    for (std::size_t k = 0; k < vals.size(); ++k) vals[k] = static_cast<float>(src(r, g0 + static_cast<Eigen::Index>(k)));
    return BlockQuantizer(*quant.format, vals, cfg, tensor_scale);
  };
  const bool static_groups = opt.static_groups || opt.act_order;
  std::vector<std::unique_ptr<BlockQuantizer>> fixed;  // rows x groups, when static
  if (static_groups)
    for (Eigen::Index r = 0; r < rows; ++r)
      for (Eigen::Index g = 0; g < n_groups; ++g) {
        fixed.push_back(std::make_unique<BlockQuantizer>(make_quantizer(W, r, g * group)));
        keep_scale(*fixed.back(), r, g);
      }

  std::vector<Eigen::Index> perm(static_cast<std::size_t>(cols));
  std::iota(perm.begin(), perm.end(), 0);
  if (opt.act_order) {
    std::stable_sort(perm.begin(), perm.end(), [&](Eigen::Index a, Eigen::Index b) { return H(a, a) > H(b, b); });
    Eigen::MatrixXd Wp(rows, cols), Hp(cols, cols);
    for (Eigen::Index j = 0; j < cols; ++j) Wp.col(j) = W.col(perm[j]);
    for (Eigen::Index i = 0; i < cols; ++i)
      for (Eigen::Index j = 0; j < cols; ++j) Hp(i, j) = H(perm[i], perm[j]);
    W.swap(Wp);
    H.swap(Hp);
  }
  // Dampening lambda = percdamp * mean(diag H); when the Cholesky factorization fails, retry with 10x the
  // dampening (0.01, 0.1, 1, 10 times the mean diagonal by default) before giving up.
  const double mean_diag = H.diagonal().mean();
  Eigen::MatrixXd Hinv;
  double damp = opt.percdamp;
  for (int attempt = 0;; ++attempt, damp *= 10) {
    Eigen::MatrixXd Hd = H;
    Hd.diagonal().array() += damp * mean_diag;
    if (inverse_cholesky_upper(Hd, Hinv)) break;
    if (attempt == 3)
      throw std::runtime_error("GPTQ: the Hessian is not positive definite even with dampening " + std::to_string(damp) +
                               " x mean(diag H) (calibration inputs degenerate?)");
  }
  res.percdamp = damp;

  Eigen::MatrixXd Q(rows, cols);
  std::vector<std::unique_ptr<BlockQuantizer>> current(static_cast<std::size_t>(rows));  // dynamic groups
  for (Eigen::Index i1 = 0; i1 < cols; i1 += opt.blocksize) {
    const Eigen::Index i2 = std::min<Eigen::Index>(i1 + opt.blocksize, cols), count = i2 - i1;
    Eigen::MatrixXd W1 = W.middleCols(i1, count), Err1 = Eigen::MatrixXd::Zero(rows, count);
    for (Eigen::Index i = 0; i < count; ++i) {
      const Eigen::Index col = i1 + i;  // position in (permuted) order
      if (!static_groups && col % group == 0) {
        // The group's columns as updated so far: inside this lazy block from W1, beyond it W minus the
        // pending updates of this block's earlier columns (so lazy batching equals column-by-column GPTQ).
        const Eigen::Index g_end = std::min(col + group, cols);
        Eigen::MatrixXd cur(rows, g_end - col);
        for (Eigen::Index j = col; j < g_end; ++j)
          cur.col(j - col) = j < i2 ? W1.col(j - i1)
                                    : Eigen::VectorXd(W.col(j) - Err1.leftCols(i) * Hinv.block(i1, j, i, 1));
        for (Eigen::Index r = 0; r < rows; ++r) {  // without act order, col is an original column
          current[static_cast<std::size_t>(r)] = std::make_unique<BlockQuantizer>(make_quantizer(cur, r, 0));
          keep_scale(*current[static_cast<std::size_t>(r)], r, col / group);
        }
      }
      const double d = Hinv(col, col);
      const Eigen::Index orig = perm[static_cast<std::size_t>(col)];
      Eigen::VectorXd err(rows);
#pragma omp parallel for schedule(static) if (rows >= 256)
      for (Eigen::Index r = 0; r < rows; ++r) {
        const BlockQuantizer& qz = static_groups ? *fixed[static_cast<std::size_t>(r * n_groups + orig / group)]
                                                 : *current[static_cast<std::size_t>(r)];
        const double w = W1(r, i);
        const double q = qz.quantize(static_cast<float>(w), static_cast<std::size_t>(r * cols + orig));
        Q(r, col) = q;
        err(r) = (w - q) / d;
      }
      res.loss += err.squaredNorm() / 2;
      W1.rightCols(count - i).noalias() -= err * Hinv.row(col).segment(col, count - i);
      Err1.col(i) = err;
    }
    if (i2 < cols) W.rightCols(cols - i2).noalias() -= Err1 * Hinv.block(i1, i2, count, cols - i2);
  }
  res.weight.resize(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j) res.weight.col(perm[static_cast<std::size_t>(j)]) = Q.col(j).cast<float>();
  return res;
}

}  // namespace mxlab::algorithms
