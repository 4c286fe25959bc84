// FAISS's k-means (faiss::Clustering) and nearest-centroid assignment
// (faiss::fvec_L2sqr_ny_nearest) behind soundsearch/kmeans.h.
#include "soundsearch/kmeans.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/utils/distances.h>

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "faiss/faiss_status.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<std::vector<float>> FitKMeans(absl::Span<const float> rows,
                                             int dim,
                                             const KMeansParams& params) {
  if (dim <= 0 || rows.size() % static_cast<size_t>(dim) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "k-means: ", rows.size(), " values is not rows of dim ", dim));
  }
  const int64_t n = static_cast<int64_t>(rows.size() / dim);
  if (params.k < 1 || params.k > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("k-means: k must be in [1, ", n, "], got ", params.k));
  }
  if (params.iterations < 1 || params.runs < 1) {
    return absl::InvalidArgumentError(
        "k-means: iterations and runs must be >= 1");
  }
  faiss::ClusteringParameters cp;
  cp.niter = params.iterations;
  cp.nredo = params.runs;
  cp.spherical = params.spherical;
  cp.seed = params.seed;
  cp.verbose = false;
  // Every row trains: keep faiss from sub-sampling or warning about few
  // points per centroid.
  cp.min_points_per_centroid = 1;
  cp.max_points_per_centroid = std::numeric_limits<int>::max() / 2;
  faiss::Clustering clustering(dim, params.k, cp);
  faiss::IndexFlatL2 assign_index(dim);
  RETURN_IF_ERROR(CallFaiss(
      "k-means", [&] { clustering.train(n, rows.data(), assign_index); }));
  return std::move(clustering.centroids);
}

absl::StatusOr<std::vector<int>> NearestCentroids(
    absl::Span<const float> rows, int dim, absl::Span<const float> centroids) {
  if (dim <= 0 || rows.size() % static_cast<size_t>(dim) != 0 ||
      centroids.empty() || centroids.size() % static_cast<size_t>(dim) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("nearest centroids: ", rows.size(), " row values and ",
                     centroids.size(), " centroid values for dim ", dim));
  }
  const size_t n = rows.size() / dim;
  const size_t k = centroids.size() / dim;
  std::vector<int> nearest(n);
  std::vector<float> scratch(k);
  RETURN_IF_ERROR(CallFaiss("nearest centroids", [&] {
    for (size_t i = 0; i < n; ++i) {
      nearest[i] = static_cast<int>(faiss::fvec_L2sqr_ny_nearest(
          scratch.data(), rows.data() + i * dim, centroids.data(), dim, k));
    }
  }));
  return nearest;
}

}  // namespace soundsearch
