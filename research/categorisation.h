// Unsupervised categorisation: k-means clustering of vectors (FAISS) and the
// V-measure of a clustering against given categories (Rosenberg and
// Hirschberg 2007: homogeneity, completeness and their harmonic mean).
#ifndef SOUNDSEARCH_RESEARCH_CATEGORISATION_H_
#define SOUNDSEARCH_RESEARCH_CATEGORISATION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

struct KMeansOptions {
  int num_clusters = 2;  // > 0 and <= the number of vectors
  int iterations = 25;   // Lloyd iterations per run, > 0
  int num_runs = 1;      // runs from different seeds; the best objective wins
  // L2-normalise the inputs and the centroids (spherical k-means, the
  // geometry of cosine similarity). False: plain Euclidean k-means.
  bool spherical = true;
  int seed = 1234;  // FAISS's initialisation seed; same seed, same result
};

// Cluster of each row of `vectors` (row-major n x dim, finite), in
// [0, num_clusters). Uses every row for training (no subsampling).
// InvalidArgument for bad sizes or options; Internal for a FAISS error.
absl::StatusOr<std::vector<int>> KMeansClusters(absl::Span<const float> vectors,
                                                int dim,
                                                const KMeansOptions& options);

struct VMeasure {
  double homogeneity = 0.0;   // 1 - H(C|K)/H(C); 1 when H(C) = 0
  double completeness = 0.0;  // 1 - H(K|C)/H(K); 1 when H(K) = 0
  double v_measure = 0.0;     // 2hc / (h + c); 0 when h + c = 0
};

// V-measure of `clusters` against `categories` (any integer ids, one per
// item; equal sizes, at least one item, else InvalidArgument). Invariant to
// renaming the ids of either side.
absl::StatusOr<VMeasure> ComputeVMeasure(absl::Span<const int> categories,
                                         absl::Span<const int> clusters);
// The same with category names.
absl::StatusOr<VMeasure> ComputeVMeasure(
    absl::Span<const std::string> categories, absl::Span<const int> clusters);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_CATEGORISATION_H_
