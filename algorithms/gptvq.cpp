// GPTVQ's column loop (the reference gptq.py fasterquant with use_vq) on GPTQ's dampened inverse Hessian
// factor U of H^-1, the codebook update (the reference's lut_m_step, solved here in closed form) and INT8 codebooks.
#include "algorithms/gptvq.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "formats/vq_kmeans.hpp"
#include "algorithms/parallel.hpp"

namespace mxlab::algorithms {
namespace {

// The codebook update solves a dense system in every codeword value of the layer; beyond this many it is skipped.
constexpr Eigen::Index kMaxUpdateValues = 4096;

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {  // splitmix64 finalizer
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (a * 0x100000001b3ULL + b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// U (upper) with (H + lambda I)^-1 = U^T U (the reference: cholesky(cholesky_inverse(cholesky(H)), upper=True)),
// lambda = percdamp * mean(diag H), raised 10x up to 3 times when a factorization fails (GPTQ's schedule).
Eigen::MatrixXd dampened_inverse_factor(const Eigen::MatrixXd& h, double& percdamp) {
  const double mean_diag = h.diagonal().mean();
  for (int attempt = 0;; ++attempt, percdamp *= 10) {
    Eigen::MatrixXd hd = h;
    hd.diagonal().array() += percdamp * mean_diag;
    const Eigen::LLT<Eigen::MatrixXd> llt(hd);
    if (llt.info() == Eigen::Success) {
      const Eigen::LLT<Eigen::MatrixXd> inv(llt.solve(Eigen::MatrixXd::Identity(h.rows(), h.cols())));
      if (inv.info() == Eigen::Success) return inv.matrixU();
    }
    if (attempt == 3)
      throw std::runtime_error("GPTVQ: the Hessian is not positive definite even with dampening " +
                               std::to_string(percdamp) + " x mean(diag H) (calibration inputs degenerate?)");
  }
}

// tr((W - Q) H (W - Q)^T): the layer's output error over the calibration inputs, up to the factor 2/n.
double output_error(const Eigen::MatrixXd& w, const Eigen::MatrixXd& q, const Eigen::MatrixXd& h) {
  const Eigen::MatrixXd e = w - q;
  return ((e * h).cwiseProduct(e)).sum();
}

struct Layout {
  Eigen::Index rows, cols, R, C, row_blocks, col_blocks;
  int D;
  std::size_t K;
  std::size_t book(Eigen::Index r, Eigen::Index c) const { return static_cast<std::size_t>((r / R) * col_blocks + c / C); }
};

Eigen::MatrixXd dequantize(const Layout& l, const std::vector<VqCodebook>& books, const std::vector<std::uint32_t>& idx) {
  Eigen::MatrixXd q(l.rows, l.cols);
  const Eigen::Index vectors = l.cols / l.D;
  for (Eigen::Index r = 0; r < l.rows; ++r)
    for (Eigen::Index c = 0; c < l.cols; ++c)
      q(r, c) = books[l.book(r, c)].codewords()[idx[static_cast<std::size_t>(r * vectors + c / l.D)] * l.D + c % l.D];
  return q;
}

// Codewords minimizing tr((W - Q) H (W - Q)^T) with the assignments fixed: Q is linear in the codeword values,
// so the minimizer solves (M + eps I) c = b + eps c_old, M_uv = sum over rows of H_ij for the positions i, j
// using values u, v, b = W H gathered the same way (eps = 1e-9 mean(diag M) keeps unused values in place).
std::vector<VqCodebook> updated_codebooks(const Layout& l, const std::vector<VqCodebook>& books,
                                          const std::vector<std::uint32_t>& idx, const Eigen::MatrixXd& w,
                                          const Eigen::MatrixXd& h) {
  const Eigen::Index per_book = static_cast<Eigen::Index>(l.K) * l.D, n = per_book * static_cast<Eigen::Index>(books.size());
  Eigen::MatrixXd M = Eigen::MatrixXd::Zero(n, n);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n), old(n);
  const Eigen::MatrixXd wh = w * h;
  const Eigen::Index vectors = l.cols / l.D;
  std::vector<Eigen::Index> var(static_cast<std::size_t>(l.cols));
  for (Eigen::Index r = 0; r < l.rows; ++r) {
    for (Eigen::Index c = 0; c < l.cols; ++c)
      var[static_cast<std::size_t>(c)] = static_cast<Eigen::Index>(l.book(r, c)) * per_book +
                                         idx[static_cast<std::size_t>(r * vectors + c / l.D)] * l.D + c % l.D;
    for (Eigen::Index i = 0; i < l.cols; ++i) {
      const Eigen::Index vi = var[static_cast<std::size_t>(i)];
      b(vi) += wh(r, i);
      for (Eigen::Index j = 0; j < l.cols; ++j) M(vi, var[static_cast<std::size_t>(j)]) += h(i, j);
    }
  }
  for (std::size_t k = 0; k < books.size(); ++k)
    for (Eigen::Index i = 0; i < per_book; ++i) old(static_cast<Eigen::Index>(k) * per_book + i) = books[k].codewords()[static_cast<std::size_t>(i)];
  const double eps = 1e-9 * std::max(M.diagonal().mean(), 1e-300);
  M.diagonal().array() += eps;
  const Eigen::VectorXd c = M.ldlt().solve(b + eps * old);
  std::vector<VqCodebook> out;
  for (std::size_t k = 0; k < books.size(); ++k) {
    std::vector<float> cw(static_cast<std::size_t>(per_book));
    for (Eigen::Index i = 0; i < per_book; ++i) cw[static_cast<std::size_t>(i)] = static_cast<float>(c(static_cast<Eigen::Index>(k) * per_book + i));
    out.emplace_back(l.D, books[k].bits(), books[k].storage(), cw);
  }
  return out;
}

}  // namespace

GptvqResult gptvq_quantize(const Matrix& weight, const Eigen::MatrixXd& hessian, const GptvqOptions& opt) {
  const Eigen::Index rows = weight.rows(), cols = weight.cols();
  const int D = opt.dim;
  if (hessian.rows() != cols || hessian.cols() != cols)
    throw std::invalid_argument("GPTVQ: Hessian is " + std::to_string(hessian.rows()) + "x" + std::to_string(hessian.cols()) +
                                ", the layer has " + std::to_string(cols) + " inputs");
  if (D != 1 && D != 2 && D != 4) throw std::invalid_argument("GPTVQ: dim must be 1, 2 or 4 (got " + std::to_string(D) + ")");
  if (cols % D != 0)
    throw std::invalid_argument("GPTVQ: the layer's " + std::to_string(cols) + " inputs are not a multiple of dim " + std::to_string(D));
  if (opt.group < 1 || opt.columns < D || opt.iters < 0)
    throw std::invalid_argument("GPTVQ: group must be >= 1, columns >= dim and iters >= 0");
  if (opt.bits < 1 || opt.bits * D > VqCodebook::kMaxIndexBits)
    throw std::invalid_argument("GPTVQ: bits * dim must be in [1, 16] (K = 2^(bits * dim) codewords; got bits " +
                                std::to_string(opt.bits) + ", dim " + std::to_string(D) + ")");
  Layout l{rows, cols, 1, std::min<Eigen::Index>(opt.columns, cols) / D * D, 0, 0, D, std::size_t{1} << (opt.bits * D)};
  l.R = opt.rows_per_group > 0
            ? std::min<Eigen::Index>(opt.rows_per_group, rows)
            : std::clamp<Eigen::Index>(std::llround(static_cast<double>(opt.group) / static_cast<double>(l.C)), 1, rows);
  l.row_blocks = (rows + l.R - 1) / l.R;
  l.col_blocks = (cols + l.C - 1) / l.C;

  GptvqResult res;
  res.rows_per_group = static_cast<int>(l.R);
  res.cols_per_group = static_cast<int>(l.C);
  Eigen::MatrixXd W = weight.cast<double>(), H = hessian;
  for (Eigen::Index j = 0; j < cols; ++j)
    if (H(j, j) == 0) { H(j, j) = 1; W.col(j).setZero(); ++res.dead_columns; }
  const Eigen::MatrixXd W0 = W, G = H;  // the objective of the codebook update (undampened)
  res.percdamp = opt.percdamp;
  const Eigen::MatrixXd U = dampened_inverse_factor(H, res.percdamp);
  const Eigen::VectorXd h = U.diagonal().array().square().inverse();  // 1 / [H_F^-1]_jj

  std::vector<std::optional<VqCodebook>> books(static_cast<std::size_t>(l.row_blocks * l.col_blocks));
  const Eigen::Index vectors = cols / D;
  res.indices.assign(static_cast<std::size_t>(rows * vectors), 0);
  Eigen::MatrixXd Q(rows, cols), err(rows, D);
  for (Eigen::Index j = 0; j < cols; j += D) {
    if (j % l.C == 0) {  // learn this column block's codebooks from the weights as updated so far
      const Eigen::Index c1 = std::min(j + l.C, cols);
      parallel_items(0, static_cast<std::size_t>(l.row_blocks), [&](std::size_t rb) {
        const Eigen::Index r0 = static_cast<Eigen::Index>(rb) * l.R, r1 = std::min(r0 + l.R, rows);
        std::vector<double> pts, wts;
        for (Eigen::Index r = r0; r < r1; ++r)
          for (Eigen::Index c = j; c < c1; ++c) { pts.push_back(W(r, c)); wts.push_back(h(c)); }
        const KmeansResult km = weighted_kmeans(pts, wts, D, l.K, opt.iters, mix_seed(opt.seed, rb, static_cast<std::uint64_t>(j / l.C)));
        const std::vector<float> cw(km.centroids.begin(), km.centroids.end());
        books[rb * static_cast<std::size_t>(l.col_blocks) + static_cast<std::size_t>(j / l.C)].emplace(D, opt.bits, opt.storage, cw);
      });
    }
    float hv[4];
    const double hmax = h.segment(j, D).maxCoeff();  // a positive factor does not change the argmin
    for (int d = 0; d < D; ++d) hv[d] = static_cast<float>(h(j + d) / hmax);
    for (Eigen::Index r = 0; r < rows; ++r) {
      const VqCodebook& cb = *books[l.book(r, j)];
      float x[4];
      for (int d = 0; d < D; ++d) x[d] = static_cast<float>(W(r, j + d));
      const std::uint32_t k = cb.encode({x, static_cast<std::size_t>(D)}, {hv, static_cast<std::size_t>(D)})[0];
      res.indices[static_cast<std::size_t>(r * vectors + j / D)] = k;
      for (int d = 0; d < D; ++d) {
        Q(r, j + d) = cb.codewords()[k * D + d];
        err(r, d) = (W(r, j + d) - Q(r, j + d)) / U(j + d, j + d);
      }
    }
    res.loss += err.squaredNorm() / 2;
    if (j + D < cols) W.rightCols(cols - j - D).noalias() -= err * U.block(j, j + D, D, cols - j - D);
  }
  for (auto& b : books) res.codebooks.push_back(std::move(*b));

  res.error_before_update = res.error_after_update = output_error(W0, Q, G);
  if (opt.update && static_cast<Eigen::Index>(res.codebooks.size() * l.K) * D <= kMaxUpdateValues) {
    std::vector<VqCodebook> better = updated_codebooks(l, res.codebooks, res.indices, W0, G);
    Eigen::MatrixXd Qb = dequantize(l, better, res.indices);
    if (const double e = output_error(W0, Qb, G); e < res.error_before_update) {  // never worse
      res.codebooks = std::move(better);
      Q = std::move(Qb);
      res.error_after_update = e;
    }
  }
  res.weight = Q.cast<float>();
  res.bits = static_cast<std::uint64_t>(rows * cols) * static_cast<std::uint64_t>(opt.bits);
  for (const VqCodebook& cb : res.codebooks) res.bits += cb.storage_bits();
  return res;
}

std::vector<std::uint8_t> vq_block_scales(const GptvqResult& r, Eigen::Index rows, Eigen::Index cols) {
  if (r.rows_per_group != 1 || r.cols_per_group <= 0)
    throw std::invalid_argument("GPTVQ: block scales need codebook groups of one row (a VQ format's blocks)");
  const Eigen::Index col_blocks = (cols + r.cols_per_group - 1) / r.cols_per_group;
  const std::size_t bytes = r.codebooks.empty() ? 0 : 4 + r.codebooks[0].size() * static_cast<std::size_t>(r.codebooks[0].dim());
  std::vector<std::uint8_t> out(static_cast<std::size_t>(rows * col_blocks) * bytes);
  for (std::size_t i = 0; i < static_cast<std::size_t>(rows * col_blocks); ++i) r.codebooks.at(i).store_int8(&out[i * bytes]);
  return out;
}

}  // namespace mxlab::algorithms
