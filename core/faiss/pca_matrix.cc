#include "faiss/pca_matrix.h"

#include <faiss/VectorTransform.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "faiss/faiss_status.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

PcaMatrix::PcaMatrix(std::unique_ptr<faiss::PCAMatrix> pca)
    : pca_(std::move(pca)) {}

PcaMatrix::~PcaMatrix() = default;

int PcaMatrix::dim_in() const { return pca_->d_in; }
int PcaMatrix::dim_out() const { return pca_->d_out; }

absl::StatusOr<std::unique_ptr<const PcaMatrix>> PcaMatrix::Train(
    const float* rows, int64_t n, int dim_in, int dim_out,
    absl::string_view what) {
  auto pca = std::make_unique<faiss::PCAMatrix>(dim_in, dim_out,
                                                /*eigen_power=*/0.0f,
                                                /*random_rotation=*/false);
  RETURN_IF_ERROR(CallFaiss(what, [&] { pca->train(n, rows); }));
  return std::unique_ptr<const PcaMatrix>(new PcaMatrix(std::move(pca)));
}

absl::Status PcaMatrix::Apply(const float* rows, int64_t n, float* out) const {
  return CallFaiss("PCA apply", [&] { pca_->apply_noalloc(n, rows, out); });
}

absl::StatusOr<std::string> PcaMatrix::Serialize() const {
  faiss::VectorIOWriter writer;
  RETURN_IF_ERROR(CallFaiss(
      "write PCA", [&] { faiss::write_VectorTransform(pca_.get(), &writer); }));
  return std::string(reinterpret_cast<const char*>(writer.data.data()),
                     writer.data.size());
}

absl::StatusOr<std::unique_ptr<const PcaMatrix>> PcaMatrix::Deserialize(
    absl::string_view bytes, int dim_in, int dim_out, absl::string_view what) {
  faiss::VectorIOReader reader;
  reader.data.assign(bytes.begin(), bytes.end());
  std::unique_ptr<faiss::VectorTransform> vt;
  RETURN_IF_ERROR(CallFaiss(absl::StrCat(what, ": read PCA"), [&] {
    vt.reset(faiss::read_VectorTransform(&reader));
  }));
  auto* pca = dynamic_cast<faiss::PCAMatrix*>(vt.get());
  if (pca == nullptr || !pca->is_trained || pca->d_in != dim_in ||
      pca->d_out != dim_out) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": PCA matrix missing, untrained or of wrong shape"));
  }
  vt.release();
  return std::unique_ptr<const PcaMatrix>(
      new PcaMatrix(std::unique_ptr<faiss::PCAMatrix>(pca)));
}

}  // namespace soundsearch
