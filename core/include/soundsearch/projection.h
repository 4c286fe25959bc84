// Projection: the per-space transform fitted on the collection's clip
// vectors: per-dimension scaling -> (L2) -> PCA -> (L2). Public so that
// research/ (frame recipes) fits exactly the projection a Space fits.
#ifndef SOUNDSEARCH_PROJECTION_H_
#define SOUNDSEARCH_PROJECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

class PcaMatrix;  // core/faiss/pca_matrix.h

struct ProjectionOptions {
  Scaling scaling = Scaling::kNone;  // per-dimension scaling, fitted
  // Requested PCA output dimensions, 0 = no PCA. The fitted dimension is
  // min(pca_dims, input dim, items - 1): n centred points span at most n - 1
  // directions, and further components would be arbitrary.
  int pca_dims = 100;
  // L2-normalise after scaling (before PCA) and again at the end. True for
  // the cosine metric; false for inner product and Euclidean, whose vectors
  // are only scaled and rotated/reduced (their norms carry information).
  // A zero vector stays zero (it is not divided by its norm).
  bool l2_normalize = true;
};

// Thread-safety: immutable after Fit/Deserialize; Apply is const and safe
// from many threads. Copies share the (immutable) PCA matrix.
class Projection {
 public:
  // Fits on `rows` (n x dim, row-major, n = rows.size() / dim). Scaling
  // statistics use every row; PCA uses PcaMatrix (FAISS's; no whitening, no
  // rotation). A dimension that is constant over the collection scales to 0
  // (never NaN). Deterministic: the same rows give the same projection.
  // InvalidArgument for dim <= 0, a size that is not a multiple of dim,
  // fewer than 2 rows, a non-finite value or a bad option.
  static absl::StatusOr<Projection> Fit(absl::Span<const float> rows, int dim,
                                        const ProjectionOptions& options);

  int input_dim() const { return input_dim_; }
  int output_dim() const { return output_dim_; }
  // 0 when no PCA (output_dim() == input_dim()).
  int pca_dims() const { return pca_dims_; }
  const ProjectionOptions& options() const { return options_; }

  // Projects n = rows.size() / input_dim() vectors; returns n x output_dim().
  // InvalidArgument if rows.size() is not a multiple of input_dim().
  absl::StatusOr<std::vector<float>> Apply(absl::Span<const float> rows) const;

  // Versioned little-endian blob with a CRC-32 trailer (docs/embedding.md).
  std::string Serialize() const;
  // DataLoss for a bad checksum, InvalidArgument for a bad magic, an
  // unsupported version or inconsistent fields.
  static absl::StatusOr<Projection> Deserialize(absl::string_view blob);

 private:
  Projection() = default;
  void ScaleInPlace(float* rows, int64_t n) const;

  ProjectionOptions options_;
  int input_dim_ = 0;
  int output_dim_ = 0;
  int pca_dims_ = 0;
  // Scaling: y = (x - offset) * factor, per dimension (factor 0 for constant
  // dimensions). Empty for Scaling::kNone.
  std::vector<float> offset_;
  std::vector<float> factor_;
  std::shared_ptr<const PcaMatrix> pca_;  // null when no PCA
};

// L2-normalises each row of `rows` (n x dim) in place; zero rows stay zero.
void L2NormalizeRows(float* rows, int64_t n, int dim);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_PROJECTION_H_
