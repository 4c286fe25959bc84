// PcaMatrix: principal component analysis, FAISS's faiss::PCAMatrix
// (mean-centred, no whitening, no random rotation) behind a FAISS-free
// interface: train, apply, and FAISS's own serialisation. The embedding
// layer's Projection holds one. Private to core.
#ifndef SOUNDSEARCH_CORE_FAISS_PCA_MATRIX_H_
#define SOUNDSEARCH_CORE_FAISS_PCA_MATRIX_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace faiss {
struct PCAMatrix;
}  // namespace faiss

namespace soundsearch {

// Thread-safety: immutable after Train/Deserialize; Apply is const and safe
// from many threads.
class PcaMatrix {
 public:
  // Trains on `rows` (n x dim_in, row-major, finite); keeps the dim_out
  // leading components. Needs 1 <= dim_out <= dim_in and n >= 2 (callers
  // check; FAISS errors come back as Internal, out of memory as
  // ResourceExhausted, messages starting with `what`).
  static absl::StatusOr<std::unique_ptr<const PcaMatrix>> Train(
      const float* rows, int64_t n, int dim_in, int dim_out,
      absl::string_view what);
  ~PcaMatrix();

  int dim_in() const;
  int dim_out() const;

  // Projects n rows of dim_in() from `rows` into `out` (n x dim_out()).
  absl::Status Apply(const float* rows, int64_t n, float* out) const;

  // FAISS's own format (faiss::write_VectorTransform; docs/embedding.md).
  absl::StatusOr<std::string> Serialize() const;
  // Reads Serialize's bytes. Internal when FAISS cannot read them;
  // InvalidArgument when they hold no trained PCA matrix of dim_in ->
  // dim_out. Messages start with `what`.
  static absl::StatusOr<std::unique_ptr<const PcaMatrix>> Deserialize(
      absl::string_view bytes, int dim_in, int dim_out, absl::string_view what);

 private:
  explicit PcaMatrix(std::unique_ptr<faiss::PCAMatrix> pca);
  std::unique_ptr<faiss::PCAMatrix> pca_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FAISS_PCA_MATRIX_H_
