// Weighted k-means++ seeding and EM in D dimensions for VQ codebooks (GPTVQ, van Baalen et al. 2024, sec. 3.2:
// Hessian-weighted; the VQ formats' reference encoder: unit weights), distance sum_d h_d (x_d - c_d)^2.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace mxlab {

struct KmeansResult {
  std::vector<double> centroids;       // k x dim, row-major
  std::vector<std::uint32_t> assign;   // one centroid per point
  // The weighted distortion sum_n sum_d h_nd (x_nd - c_{a_n,d})^2 after seeding (assignments to the nearest
  // seed), then after every E step and every M step, in order; EM never increases it.
  std::vector<double> distortion;
  int iterations = 0;                  // EM iterations run (stops early once assignments repeat)
};

// points and weights: n x dim, row-major; weights finite and >= 0. Seeding (k-means++ in the weighted
// distance, Arthur & Vassilvitskii 2007): the first centroid a uniformly drawn point, each next one a point
// drawn with probability proportional to its weighted distance to the nearest centroid so far (uniformly when
// every point coincides with one). E step: each point to its nearest centroid (ties: smallest index). M step:
// c_kd = sum_n h_nd x_nd / sum_n h_nd over the points of cluster k, the minimizer of the weighted distortion
// (a centroid without weight keeps its value). With n < k the seeds repeat points. Deterministic given seed.
KmeansResult weighted_kmeans(std::span<const double> points, std::span<const double> weights, int dim, std::size_t k,
                             int iters, std::uint64_t seed);

// The weighted distortion of an assignment (what KmeansResult::distortion records).
double weighted_distortion(std::span<const double> points, std::span<const double> weights, int dim,
                           std::span<const double> centroids, std::span<const std::uint32_t> assign);

}  // namespace mxlab
