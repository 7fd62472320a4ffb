// Calibration statistics accumulation (input channel ranges, Hessians) over calibration windows.
#include "model/calibration.hpp"

#include <stdexcept>

#include <cblas.h>

namespace mxlab::model {

Eigen::VectorXf LinearStats::abs_mean() const {
  if (rows == 0) return Eigen::VectorXf::Zero(abs_sum.size());
  return (abs_sum / static_cast<double>(rows)).cast<float>();
}

void CalibrationCapture::observe(LinearId id, const Matrix& x) {
  if (opt_.record && *opt_.record == id && recorded_rows_ < opt_.record_max_rows) {
    const auto take = std::min<std::size_t>(x.rows(), opt_.record_max_rows - recorded_rows_);
    recorded_.push_back(x.topRows(static_cast<Eigen::Index>(take)));
    recorded_rows_ += take;
  }
  if (opt_.select && !opt_.select(id)) return;
  if (!opt_.stats && !opt_.hessian) return;
  LinearStats& s = stats_[id];
  const Eigen::Index n = x.cols();
  if (s.rows == 0) {
    s.abs_max = Eigen::VectorXf::Zero(n);
    s.abs_sum = Eigen::VectorXd::Zero(n);
    if (opt_.hessian) s.xtx = Eigen::MatrixXd::Zero(n, n);
  }
  if (opt_.stats) {
    s.abs_max = s.abs_max.cwiseMax(x.cwiseAbs().colwise().maxCoeff().transpose());
    s.abs_sum += x.cwiseAbs().colwise().sum().transpose().cast<double>();
  }
  if (opt_.hessian && x.rows() > 0 && n > 0) {  // xtx += X^T X: OpenBLAS dsyrk on the lower triangle
    // X row-major (rows x n) is X^T column-major (n x rows, leading dimension n): C = A A^T with A = X^T.
    widened_.resize(x.rows(), n);
#pragma omp parallel for schedule(static) if (x.size() > (1 << 16))
    for (Eigen::Index r = 0; r < x.rows(); ++r) widened_.row(r) = x.row(r).cast<double>();
    cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, static_cast<int>(n), static_cast<int>(x.rows()), 1.0,
                widened_.data(), static_cast<int>(n), 1.0, s.xtx.data(), static_cast<int>(n));
    mirrored_ = false;
  }
  s.rows += static_cast<std::size_t>(x.rows());
}

void CalibrationCapture::mirror_hessians() const {
  if (mirrored_) return;
  for (auto& [id, s] : stats_)
    if (s.xtx.size()) s.xtx.triangularView<Eigen::StrictlyUpper>() = s.xtx.transpose();
  mirrored_ = true;
}

const std::map<LinearId, LinearStats>& CalibrationCapture::all() const {
  mirror_hessians();
  return stats_;
}

const LinearStats& CalibrationCapture::stats(LinearId id) const {
  mirror_hessians();
  auto it = stats_.find(id);
  if (it == stats_.end())
    throw std::out_of_range("no calibration statistics for " + linear_name(id) +
                            " (not selected, or calibrate() has not run)");
  return it->second;
}

Matrix CalibrationCapture::recorded() const {
  if (recorded_.empty()) return Matrix();
  Matrix out(static_cast<Eigen::Index>(recorded_rows_), recorded_.front().cols());
  Eigen::Index r = 0;
  for (const Matrix& m : recorded_) out.middleRows(r, m.rows()) = m, r += m.rows();
  return out;
}

void CalibrationCapture::clear() {
  stats_.clear();
  mirrored_ = true;
  recorded_.clear();
  recorded_rows_ = 0;
}

std::size_t calibrate(Runtime& runtime, std::span<const int> tokens, int ctx, CalibrationCapture& capture) {
  if (ctx <= 0) ctx = runtime.config().seq_len;
  if (tokens.size() < static_cast<std::size_t>(ctx))
    throw std::invalid_argument("calibrate: " + std::to_string(tokens.size()) +
                                " calibration tokens are fewer than one window of " + std::to_string(ctx));
  std::size_t done = 0;
  ForwardOptions opt;
  opt.observer = &capture;
  for (std::size_t start = 0; start + ctx <= tokens.size(); start += ctx, done += ctx)
    runtime.forward(tokens.subspan(start, ctx), opt);
  return done;
}

}  // namespace mxlab::model
