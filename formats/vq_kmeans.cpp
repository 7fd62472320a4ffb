// Weighted k-means++ seeding and EM for VQ codebooks (GPTVQ's learner and the VQ formats' reference encoder).
#include "formats/vq_kmeans.hpp"

#include <algorithm>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

namespace mxlab {
namespace {

double distance(const double* x, const double* h, const double* c, int dim) {
  double d = 0;
  for (int j = 0; j < dim; ++j) d += h[j] * (x[j] - c[j]) * (x[j] - c[j]);
  return d;
}

// E step: every point to its nearest centroid (ties to the smallest index); true when an assignment changed.
bool assign_nearest(std::span<const double> x, std::span<const double> h, int dim, const std::vector<double>& c,
                    std::vector<std::uint32_t>& a) {
  const std::size_t n = a.size(), k = c.size() / static_cast<std::size_t>(dim);
  bool changed = false;
  for (std::size_t i = 0; i < n; ++i) {
    const double* xi = x.data() + i * dim;
    const double* hi = h.data() + i * dim;
    double best = std::numeric_limits<double>::infinity();
    std::uint32_t best_k = 0;
    for (std::size_t j = 0; j < k; ++j) {
      const double d = distance(xi, hi, c.data() + j * dim, dim);
      if (d < best) { best = d; best_k = static_cast<std::uint32_t>(j); }
    }
    changed = changed || a[i] != best_k;
    a[i] = best_k;
  }
  return changed;
}

// M step: the weighted mean of each coordinate over the cluster (unchanged where the cluster has no weight).
void update_centroids(std::span<const double> x, std::span<const double> h, int dim, std::vector<double>& c,
                      const std::vector<std::uint32_t>& a) {
  std::vector<double> num(c.size(), 0.0), den(c.size(), 0.0);
  for (std::size_t i = 0; i < a.size(); ++i)
    for (int j = 0; j < dim; ++j) {
      const std::size_t at = a[i] * static_cast<std::size_t>(dim) + j, p = i * dim + j;
      num[at] += h[p] * x[p];
      den[at] += h[p];
    }
  for (std::size_t i = 0; i < c.size(); ++i)
    if (den[i] > 0) c[i] = num[i] / den[i];
}

}  // namespace

double weighted_distortion(std::span<const double> points, std::span<const double> weights, int dim,
                           std::span<const double> centroids, std::span<const std::uint32_t> assign) {
  double s = 0;
  for (std::size_t i = 0; i < assign.size(); ++i)
    s += distance(points.data() + i * dim, weights.data() + i * dim, centroids.data() + assign[i] * dim, dim);
  return s;
}

KmeansResult weighted_kmeans(std::span<const double> points, std::span<const double> weights, int dim, std::size_t k,
                             int iters, std::uint64_t seed) {
  if (dim < 1 || k < 1 || iters < 0) throw std::invalid_argument("weighted_kmeans: dim, k must be >= 1 and iters >= 0");
  if (points.size() % static_cast<std::size_t>(dim) != 0 || points.empty() || weights.size() != points.size())
    throw std::invalid_argument("weighted_kmeans: " + std::to_string(points.size()) + " values and " +
                                std::to_string(weights.size()) + " weights are not n x dim (dim " + std::to_string(dim) + ")");
  const std::size_t n = points.size() / static_cast<std::size_t>(dim);
  std::mt19937_64 rng(seed);
  KmeansResult r;
  r.centroids.reserve(k * dim);
  auto add_seed = [&](std::size_t i) { r.centroids.insert(r.centroids.end(), points.begin() + i * dim, points.begin() + (i + 1) * dim); };
  add_seed(std::uniform_int_distribution<std::size_t>(0, n - 1)(rng));
  std::vector<double> nearest(n);
  for (std::size_t i = 0; i < n; ++i) nearest[i] = distance(&points[i * dim], &weights[i * dim], r.centroids.data(), dim);
  while (r.centroids.size() < k * dim) {
    double total = 0;
    for (double d : nearest) total += d;
    std::size_t pick = 0;
    if (total > 0) {  // D^2 sampling: P(i) = nearest_i / total
      double u = std::uniform_real_distribution<double>(0.0, total)(rng);
      while (pick + 1 < n && (u -= nearest[pick]) >= 0) ++pick;
      while (nearest[pick] == 0 && pick > 0) --pick;  // never a point that coincides with a centroid
    } else {
      pick = std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    }
    add_seed(pick);
    const double* c = r.centroids.data() + r.centroids.size() - dim;
    for (std::size_t i = 0; i < n; ++i) nearest[i] = std::min(nearest[i], distance(&points[i * dim], &weights[i * dim], c, dim));
  }
  r.assign.assign(n, 0);
  assign_nearest(points, weights, dim, r.centroids, r.assign);
  r.distortion.push_back(weighted_distortion(points, weights, dim, r.centroids, r.assign));
  for (int it = 0; it < iters; ++it) {
    update_centroids(points, weights, dim, r.centroids, r.assign);  // M step (the seeding's assignment first)
    r.distortion.push_back(weighted_distortion(points, weights, dim, r.centroids, r.assign));
    ++r.iterations;
    const bool changed = assign_nearest(points, weights, dim, r.centroids, r.assign);  // E step
    r.distortion.push_back(weighted_distortion(points, weights, dim, r.centroids, r.assign));
    if (!changed) break;  // a fixed point: further iterations repeat it
  }
  return r;
}

}  // namespace mxlab
