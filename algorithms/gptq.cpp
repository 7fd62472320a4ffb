// GPTQ as the reference implementation (gptq.py fasterquant) defines it, generalized to block formats:
// dampening, dead columns, Cholesky factor of H^-1 (upper), lazy batch updates, optional act order.
// FP32 throughout, as the reference computes it; the dense work goes to OpenBLAS/LAPACKE:
//  - U (upper, H^-1 = U^T U) is never formed. With P the reversal permutation and P H P = L L^T (spotrf),
//    U = P L^-1 P, so V = U^-1 = P L P is the Cholesky factor read backwards: one factorization (n^3/3) instead
//    of the reference's cholesky + cholesky_inverse + cholesky (4n^3/3).
//  - Left-looking lazy batches: with R = W - Q over the columns done, E = R V (the scaled errors, E U = W - Q),
//    the pending update of block b is -E_<b U_<b,b = R_<b V_<b,b U_bb (block inverse of an upper triangular
//    matrix), i.e. one sgemm (rows x b x done) and one strsm per block; only the block's diagonal U_bb (strtri)
//    is inverted.
//  - Inside a block every row is independent: row chunks in parallel, in cache, no full-matrix column sweeps.
#include "algorithms/gptq.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "formats/block_codecs.hpp"
#include "formats/packed.hpp"

namespace mxlab::algorithms {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// V = U^-1 (upper, row-major n x n) for H^-1 = U^T U, from H + damp I; false if H is not positive definite.
bool inverse_cholesky_factor_inverse(const Eigen::MatrixXd& h, double damp, std::vector<float>& v) {
  const Eigen::Index n = h.rows();
  v.assign(static_cast<std::size_t>(n * n), 0.0f);
  for (Eigen::Index i = 0; i < n; ++i)  // P (H + damp I) P, lower triangle (row-major)
    for (Eigen::Index j = 0; j <= i; ++j)
      v[static_cast<std::size_t>(i * n + j)] = static_cast<float>(h(n - 1 - i, n - 1 - j) + (i == j ? damp : 0.0));
  // Row-major lower = column-major upper of the same symmetric matrix: LAPACK's own layout, no transposed copy.
  if (LAPACKE_spotrf(LAPACK_COL_MAJOR, 'U', static_cast<lapack_int>(n), v.data(), static_cast<lapack_int>(n)) != 0)
    return false;
  std::reverse(v.begin(), v.end());  // V[i][j] = L[n-1-i][n-1-j]: the 180-degree turn of a row-major square
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
  RowMat W = weight;  // columns not yet quantized: the (dead-zeroed, permuted) weights; done columns: W - Q
  Eigen::MatrixXd H = hessian;
  for (Eigen::Index j = 0; j < cols; ++j)
    if (H(j, j) == 0) { H(j, j) = 1; W.col(j).setZero(); ++res.dead_columns; }

  // Static groups: every block's scale from the (dead-zeroed) weights before any update.
  auto make_quantizer = [&](const float* src, Eigen::Index n) {
    return std::make_unique<BlockQuantizer>(*quant.format, std::span<const float>(src, static_cast<std::size_t>(n)), cfg,
                                            tensor_scale);
  };
  const bool static_groups = opt.static_groups || opt.act_order;
  std::vector<std::unique_ptr<BlockQuantizer>> fixed;  // rows x groups, when static
  if (static_groups)
    for (Eigen::Index r = 0; r < rows; ++r)
      for (Eigen::Index g = 0; g < n_groups; ++g) {
        fixed.push_back(make_quantizer(&W(r, g * group), std::min(group, cols - g * group)));
        keep_scale(*fixed.back(), r, g);
      }

  std::vector<Eigen::Index> perm(static_cast<std::size_t>(cols));
  std::iota(perm.begin(), perm.end(), 0);
  if (opt.act_order) {
    std::stable_sort(perm.begin(), perm.end(), [&](Eigen::Index a, Eigen::Index b) { return H(a, a) > H(b, b); });
    RowMat Wp(rows, cols);
    Eigen::MatrixXd Hp(cols, cols);
    for (Eigen::Index j = 0; j < cols; ++j) Wp.col(j) = W.col(perm[j]);
    for (Eigen::Index i = 0; i < cols; ++i)
      for (Eigen::Index j = 0; j < cols; ++j) Hp(i, j) = H(perm[i], perm[j]);
    W.swap(Wp);
    H.swap(Hp);
  }
  // Dampening lambda = percdamp * mean(diag H); when the Cholesky factorization fails, retry with 10x the
  // dampening (0.01, 0.1, 1, 10 times the mean diagonal by default) before giving up.
  const double mean_diag = H.diagonal().mean();
  std::vector<float> V;
  double damp = opt.percdamp;
  for (int attempt = 0;; ++attempt, damp *= 10) {
    if (inverse_cholesky_factor_inverse(H, damp * mean_diag, V)) break;
    if (attempt == 3)
      throw std::runtime_error("GPTQ: the Hessian is not positive definite even with dampening " + std::to_string(damp) +
                               " x mean(diag H) (calibration inputs degenerate?)");
  }
  res.percdamp = damp;
  H.resize(0, 0);

  // Lazy blocks: with dynamic groups a group's scale needs the group's current values, so every group lies
  // in one block (blocks are a multiple of the group). The block size only changes the rounding order.
  const Eigen::Index bs = static_groups ? opt.blocksize : group * ((opt.blocksize + group - 1) / group);
  const int n = static_cast<int>(cols), m = static_cast<int>(rows);
  res.weight.resize(rows, cols);
  std::vector<std::unique_ptr<BlockQuantizer>> current(static_cast<std::size_t>(rows));  // dynamic groups
  std::vector<float> slab, ubb;
  for (Eigen::Index i1 = 0; i1 < cols; i1 += bs) {
    const Eigen::Index i2 = std::min<Eigen::Index>(i1 + bs, cols), count = i2 - i1;
    const int nb = static_cast<int>(count);
    const float* vbb = &V[static_cast<std::size_t>(i1 * cols + i1)];
    // slab = W_b + (R_<b V_<b,b) V_bb^-1: the block as column-by-column GPTQ has updated it so far.
    slab.assign(static_cast<std::size_t>(rows * count), 0.0f);
    if (i1 > 0) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, nb, static_cast<int>(i1), 1.0f, W.data(), n,
                  &V[static_cast<std::size_t>(i1)], n, 0.0f, slab.data(), nb);
      cblas_strsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, m, nb, 1.0f, vbb, n, slab.data(), nb);
    }
    ubb.assign(static_cast<std::size_t>(count * count), 0.0f);
    for (Eigen::Index i = 0; i < count; ++i)
      std::copy_n(vbb + i * cols + i, count - i, &ubb[static_cast<std::size_t>(i * count + i)]);
    LAPACKE_strtri(LAPACK_COL_MAJOR, 'L', 'N', nb, ubb.data(), nb);  // U_bb (row-major upper = col-major lower)
    double loss = 0;
    constexpr Eigen::Index kChunk = 32;  // rows processed together: their slab stays in cache across the block
#pragma omp parallel for schedule(dynamic) reduction(+ : loss) if (rows >= 2 * kChunk)
    for (Eigen::Index r0 = 0; r0 < rows; r0 += kChunk) {
      const Eigen::Index r1 = std::min(r0 + kChunk, rows);
      for (Eigen::Index r = r0; r < r1; ++r) {
        float* s = &slab[static_cast<std::size_t>(r * count)];
        for (Eigen::Index k = 0; k < count; ++k) s[k] += W(r, i1 + k);
      }
      for (Eigen::Index i = 0; i < count; ++i) {
        const Eigen::Index col = i1 + i, orig = perm[static_cast<std::size_t>(col)];
        const float* u = &ubb[static_cast<std::size_t>(i * count)];
        const float d = u[i];
        for (Eigen::Index r = r0; r < r1; ++r) {
          float* s = &slab[static_cast<std::size_t>(r * count)];
          if (!static_groups && col % group == 0) {  // without act order, col is an original column
            current[static_cast<std::size_t>(r)] = make_quantizer(s + i, std::min(group, cols - col));
            keep_scale(*current[static_cast<std::size_t>(r)], r, col / group);
          }
          const BlockQuantizer& qz = static_groups ? *fixed[static_cast<std::size_t>(r * n_groups + orig / group)]
                                                   : *current[static_cast<std::size_t>(r)];
          const float w = s[i];
          const float q = qz.quantize(w, static_cast<std::size_t>(r * cols + orig));
          res.weight(r, orig) = q;
          const float err = (w - q) / d;
          loss += static_cast<double>(err) * err;
#pragma omp simd
          for (Eigen::Index k = i + 1; k < count; ++k) s[k] -= err * u[k];
          W(r, col) -= q;  // R = W - Q for the columns to the left of the next blocks
        }
      }
    }
    res.loss += loss / 2;
  }
  return res;
}

}  // namespace mxlab::algorithms
