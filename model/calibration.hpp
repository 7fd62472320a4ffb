// Calibration capture for PTQ: per linear layer input statistics, the Hessian X^T X, and raw inputs of one layer.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "model/runtime.hpp"

namespace mxlab::model {

struct CaptureOptions {
  bool stats = true;     // per-channel max|x| and mean|x| (SmoothQuant, AWQ)
  bool hessian = false;  // H = sum over tokens of x x^T, in double (GPTQ uses 2/n * H)
  std::function<bool(LinearId)> select;  // which layers to capture (empty = all)
  std::optional<LinearId> record;        // also keep the raw input rows of this layer (AWQ search, GPTQ sequential)
  std::size_t record_max_rows = 1 << 20;  // stop recording after this many rows
};

struct LinearStats {
  Eigen::VectorXf abs_max;  // per input channel max |x|
  Eigen::VectorXd abs_sum;  // per input channel sum |x|
  Eigen::MatrixXd xtx;      // sum of x x^T (in x in), empty unless CaptureOptions::hessian
  std::size_t rows = 0;     // tokens seen
  Eigen::VectorXf abs_mean() const;
};

class CalibrationCapture : public LinearObserver {
 public:
  explicit CalibrationCapture(CaptureOptions opt = {}) : opt_(std::move(opt)) {}
  void observe(LinearId id, const Matrix& x) override;

  bool has(LinearId id) const { return stats_.count(id) != 0; }
  const LinearStats& stats(LinearId id) const;  // throws naming the layer if it was not captured
  const std::map<LinearId, LinearStats>& all() const;
  // Raw input rows of CaptureOptions::record, concatenated in the order seen (rows x in).
  Matrix recorded() const;
  void clear();

 private:
  // observe() sums the lower triangle of each xtx; the first read after it (stats, all) mirrors it: once per
  // read, not per window (a 5632^2 transpose costs as much as a sixth of the window's product).
  void mirror_hessians() const;

  CaptureOptions opt_;
  mutable std::map<LinearId, LinearStats> stats_;
  mutable bool mirrored_ = true;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> widened_;  // x in double, reused
  std::vector<Matrix> recorded_;
  std::size_t recorded_rows_ = 0;
};

// Runs the model over consecutive windows of `ctx` tokens of `tokens` (tail dropped; ctx 0 = seq_len) and feeds
// every linear input to `capture`. Returns the number of tokens processed.
std::size_t calibrate(Runtime& runtime, std::span<const int> tokens, int ctx, CalibrationCapture& capture);

}  // namespace mxlab::model
