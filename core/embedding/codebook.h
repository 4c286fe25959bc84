// Codebook: the bag-of-audio-words vocabulary, k-means centroids of MFCC
// frames sampled from the collection, and the quantiser that turns a clip's
// frames into a normalised histogram of codeword counts. Private to core.
#ifndef SOUNDSEARCH_CORE_EMBEDDING_CODEBOOK_H_
#define SOUNDSEARCH_CORE_EMBEDDING_CODEBOOK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/frame_matrix.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

// Indices of an evenly spaced sub-sample of `count` out of `n` items:
// floor(i * n / count) for i in [0, count), or all n when count >= n.
std::vector<int64_t> EvenlySpaced(int64_t n, int64_t count);

// Thread-safety: immutable after Fit/Deserialize; Quantize is const and safe
// from many threads.
class Codebook {
 public:
  // Fits k-means (FitKMeans, soundsearch/kmeans.h: L2, seed config.seed,
  // config.iterations iterations) on frames drawn from `clips`: at most
  // config.fit_frames_per_clip per clip, then at most config.fit_max_frames
  // in total, both as evenly spaced sub-samples (no randomness besides the
  // k-means seed). Every clip with frames must have the same dim.
  // Deterministic: same clips + same config = same centroids.
  // InvalidArgument for mismatched dims, a bad config or a non-finite value;
  // FailedPrecondition when fewer than k frames are drawn.
  static absl::StatusOr<Codebook> Fit(
      absl::Span<const FrameMatrix* const> clips, const CodebookConfig& config);

  int k() const { return k_; }
  int dim() const { return dim_; }
  // k x dim, row-major.
  const std::vector<float>& centroids() const { return centroids_; }

  // Assigns each frame to its nearest centroid (NearestCentroids: squared
  // L2, ties to the lower index, single-threaded: no OpenMP team per query)
  // and returns the k codeword counts divided by the number of frames (sums
  // to 1).
  // InvalidArgument if frames is empty, holds a non-finite value or its dim
  // differs from dim().
  absl::StatusOr<std::vector<float>> Quantize(const FrameMatrix& frames) const;

  // Versioned little-endian blob with a CRC-32 trailer (docs/embedding.md).
  std::string Serialize() const;
  // DataLoss for a bad checksum, InvalidArgument for a bad magic, an
  // unsupported version or inconsistent fields.
  static absl::StatusOr<Codebook> Deserialize(absl::string_view blob);

 private:
  Codebook() = default;
  static absl::StatusOr<Codebook> FromCentroids(int k, int dim, int seed,
                                                std::vector<float> centroids);

  int k_ = 0;
  int dim_ = 0;
  int seed_ = 0;  // recorded for provenance
  std::vector<float> centroids_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_EMBEDDING_CODEBOOK_H_
