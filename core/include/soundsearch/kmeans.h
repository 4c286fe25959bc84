// k-means clustering (FAISS's, behind torch- and FAISS-free signatures): the
// BoAW codebook fit (core/embedding/codebook.cc) and the research kit's
// categorisation both call it.
//
// Thread-safety: free functions; safe from any thread. FitKMeans may use
// FAISS's OpenMP threads; NearestCentroids is single-threaded.
#ifndef SOUNDSEARCH_KMEANS_H_
#define SOUNDSEARCH_KMEANS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

struct KMeansParams {
  int k = 2;            // centroids, in [1, rows]
  int iterations = 25;  // Lloyd iterations per run, >= 1
  int runs = 1;         // runs from different seeds; the best objective wins
  // Spherical k-means: centroids are L2-normalised after each iteration
  // (the caller normalises the rows). False: plain Euclidean k-means.
  bool spherical = false;
  int seed = 1234;  // initialisation seed; same rows + params = same result
};

// Fits params.k centroids on every row of `rows` (row-major n x dim, n =
// rows.size() / dim; no subsampling) and returns them, k x dim row-major.
// InvalidArgument for dim <= 0, a size that is not a multiple of dim, or
// params out of range; Internal for a FAISS error, ResourceExhausted when
// out of memory. The rows must be finite (callers check).
absl::StatusOr<std::vector<float>> FitKMeans(absl::Span<const float> rows,
                                             int dim,
                                             const KMeansParams& params);

// Index of the nearest of `centroids` (k x dim) to each row of `rows` (n x
// dim), by squared L2 distance, ties to the lower index. InvalidArgument for
// sizes that are not whole rows of dim, or no centroid.
absl::StatusOr<std::vector<int>> NearestCentroids(
    absl::Span<const float> rows, int dim, absl::Span<const float> centroids);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_KMEANS_H_
