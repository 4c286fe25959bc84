#include "research/categorisation.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "soundsearch/kmeans.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// Entropy (nats) of a distribution given by counts summing to total.
template <typename Map>
double Entropy(const Map& counts, double total) {
  double h = 0.0;
  for (const auto& [key, count] : counts) {
    const double p = static_cast<double>(count) / total;
    h -= p * std::log(p);
  }
  return h;
}

}  // namespace

absl::StatusOr<std::vector<int>> KMeansClusters(absl::Span<const float> vectors,
                                                int dim,
                                                const KMeansOptions& options) {
  if (dim <= 0 || vectors.size() % static_cast<size_t>(dim) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        vectors.size(), " floats is not a whole number of rows of ", dim));
  }
  const int64_t n = static_cast<int64_t>(vectors.size() / dim);
  if (options.num_clusters <= 0 || options.num_clusters > n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "num_clusters must be in [1, ", n, "], got ", options.num_clusters));
  }
  if (options.iterations <= 0 || options.num_runs <= 0) {
    return absl::InvalidArgumentError("iterations and num_runs must be > 0");
  }
  std::vector<float> x(vectors.begin(), vectors.end());
  for (int64_t i = 0; i < n; ++i) {
    float* row = x.data() + i * dim;
    double sq = 0.0;
    for (int k = 0; k < dim; ++k) {
      if (!std::isfinite(row[k])) {
        return absl::InvalidArgumentError(
            absl::StrCat("vector ", i, " has a non-finite value"));
      }
      sq += double{row[k]} * row[k];
    }
    if (options.spherical && sq > 0.0) {
      const double inv = 1.0 / std::sqrt(sq);
      for (int k = 0; k < dim; ++k) row[k] = static_cast<float>(row[k] * inv);
    }
  }

  KMeansParams params;
  params.k = options.num_clusters;
  params.iterations = options.iterations;
  params.runs = options.num_runs;
  params.spherical = options.spherical;
  params.seed = options.seed;
  ASSIGN_OR_RETURN(std::vector<float> centroids, FitKMeans(x, dim, params));
  // Each row's cluster is its nearest centroid.
  return NearestCentroids(x, dim, centroids);
}

absl::StatusOr<VMeasure> ComputeVMeasure(absl::Span<const int> categories,
                                         absl::Span<const int> clusters) {
  if (categories.size() != clusters.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(categories.size(), " categories but ", clusters.size(),
                     " cluster assignments"));
  }
  if (categories.empty()) {
    return absl::InvalidArgumentError("V-measure of no items");
  }
  const double n = static_cast<double>(categories.size());
  std::map<int, int64_t> c_count, k_count;
  std::map<std::pair<int, int>, int64_t> joint;
  for (size_t i = 0; i < categories.size(); ++i) {
    ++c_count[categories[i]];
    ++k_count[clusters[i]];
    ++joint[{categories[i], clusters[i]}];
  }
  const double h_c = Entropy(c_count, n);
  const double h_k = Entropy(k_count, n);
  // H(C|K) = -sum n_ck/n log(n_ck / n_k); H(K|C) likewise with n_c.
  double h_c_given_k = 0.0, h_k_given_c = 0.0;
  for (const auto& [ck, count] : joint) {
    const double nck = static_cast<double>(count);
    h_c_given_k -= nck / n * std::log(nck / k_count[ck.second]);
    h_k_given_c -= nck / n * std::log(nck / c_count[ck.first]);
  }
  VMeasure v;
  v.homogeneity = h_c == 0.0 ? 1.0 : 1.0 - h_c_given_k / h_c;
  v.completeness = h_k == 0.0 ? 1.0 : 1.0 - h_k_given_c / h_k;
  const double sum = v.homogeneity + v.completeness;
  v.v_measure = sum == 0.0 ? 0.0 : 2.0 * v.homogeneity * v.completeness / sum;
  return v;
}

absl::StatusOr<VMeasure> ComputeVMeasure(
    absl::Span<const std::string> categories, absl::Span<const int> clusters) {
  absl::flat_hash_map<std::string, int> ids;
  std::vector<int> as_ints;
  as_ints.reserve(categories.size());
  for (const std::string& c : categories) {
    as_ints.push_back(
        ids.emplace(c, static_cast<int>(ids.size())).first->second);
  }
  return ComputeVMeasure(as_ints, clusters);
}

}  // namespace soundsearch
