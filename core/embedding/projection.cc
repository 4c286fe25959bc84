#include "soundsearch/projection.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "embedding/byte_io.h"
#include "faiss/pca_matrix.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr char kMagic[] = "SSPJ";
constexpr uint16_t kFormatVersion = 1;
constexpr int kMaxPcaDims = 4096;

}  // namespace

void L2NormalizeRows(float* rows, int64_t n, int dim) {
  for (int64_t i = 0; i < n; ++i) {
    float* row = rows + i * dim;
    double sq = 0.0;
    for (int d = 0; d < dim; ++d) sq += static_cast<double>(row[d]) * row[d];
    if (sq > 0.0) {
      const double inv = 1.0 / std::sqrt(sq);
      for (int d = 0; d < dim; ++d) row[d] = static_cast<float>(row[d] * inv);
    }
  }
}

void Projection::ScaleInPlace(float* rows, int64_t n) const {
  if (options_.scaling == Scaling::kNone) return;
  for (int64_t i = 0; i < n; ++i) {
    float* row = rows + i * input_dim_;
    for (int d = 0; d < input_dim_; ++d) {
      row[d] = (row[d] - offset_[d]) * factor_[d];
    }
  }
}

absl::StatusOr<Projection> Projection::Fit(absl::Span<const float> rows,
                                           int dim,
                                           const ProjectionOptions& options) {
  if (dim <= 0 || rows.size() % dim != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "projection fit: ", rows.size(), " values is not rows of dim ", dim));
  }
  const int64_t n = static_cast<int64_t>(rows.size() / dim);
  if (n < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("projection fit: need at least 2 vectors, got ", n));
  }
  if (options.pca_dims < 0 || options.pca_dims > kMaxPcaDims) {
    return absl::InvalidArgumentError(
        absl::StrCat("projection fit: pca_dims must be in [0, ", kMaxPcaDims,
                     "], got ", options.pca_dims));
  }
  for (float v : rows) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          "projection fit: input holds a non-finite value");
    }
  }

  Projection p;
  p.options_ = options;
  p.input_dim_ = dim;

  // Per-dimension statistics in double.
  if (options.scaling != Scaling::kNone) {
    p.offset_.assign(dim, 0.0f);
    p.factor_.assign(dim, 0.0f);
    if (options.scaling == Scaling::kMinMax) {
      std::vector<float> lo(rows.begin(), rows.begin() + dim);
      std::vector<float> hi = lo;
      for (int64_t i = 1; i < n; ++i) {
        for (int d = 0; d < dim; ++d) {
          const float v = rows[i * dim + d];
          lo[d] = std::min(lo[d], v);
          hi[d] = std::max(hi[d], v);
        }
      }
      for (int d = 0; d < dim; ++d) {
        const double range = static_cast<double>(hi[d]) - lo[d];
        p.offset_[d] = lo[d];
        const double f = range > 0.0 ? 1.0 / range : 0.0;
        p.factor_[d] = std::isfinite(f) ? static_cast<float>(f) : 0.0f;
      }
    } else {  // kZScore
      std::vector<double> mean(dim, 0.0), sq(dim, 0.0);
      for (int64_t i = 0; i < n; ++i) {
        for (int d = 0; d < dim; ++d) mean[d] += rows[i * dim + d];
      }
      for (int d = 0; d < dim; ++d) mean[d] /= n;
      for (int64_t i = 0; i < n; ++i) {
        for (int d = 0; d < dim; ++d) {
          const double c = rows[i * dim + d] - mean[d];
          sq[d] += c * c;
        }
      }
      for (int d = 0; d < dim; ++d) {
        const double sd = std::sqrt(sq[d] / n);
        p.offset_[d] = static_cast<float>(mean[d]);
        const double f = sd > 0.0 ? 1.0 / sd : 0.0;
        p.factor_[d] = std::isfinite(f) ? static_cast<float>(f) : 0.0f;
      }
    }
  }

  p.pca_dims_ =
      options.pca_dims == 0
          ? 0
          : static_cast<int>(std::min<int64_t>(
                {static_cast<int64_t>(options.pca_dims), dim, n - 1}));
  p.output_dim_ = p.pca_dims_ == 0 ? dim : p.pca_dims_;

  if (p.pca_dims_ > 0) {
    std::vector<float> x(rows.begin(), rows.end());
    p.ScaleInPlace(x.data(), n);
    if (options.l2_normalize) L2NormalizeRows(x.data(), n, dim);
    ASSIGN_OR_RETURN(p.pca_, PcaMatrix::Train(x.data(), n, dim, p.pca_dims_,
                                              "projection fit: PCA"));
  }
  return p;
}

absl::StatusOr<std::vector<float>> Projection::Apply(
    absl::Span<const float> rows) const {
  if (input_dim_ <= 0 || rows.size() % input_dim_ != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("projection: ", rows.size(), " values is not rows of dim ",
                     input_dim_));
  }
  const int64_t n = static_cast<int64_t>(rows.size() / input_dim_);
  std::vector<float> x(rows.begin(), rows.end());
  ScaleInPlace(x.data(), n);
  if (options_.l2_normalize) L2NormalizeRows(x.data(), n, input_dim_);
  if (pca_ == nullptr) return x;
  std::vector<float> out(static_cast<size_t>(n) * output_dim_);
  absl::Status applied = pca_->Apply(x.data(), n, out.data());
  if (!applied.ok()) {
    return absl::Status(applied.code(),
                        absl::StrCat("projection: ", applied.message()));
  }
  if (options_.l2_normalize) L2NormalizeRows(out.data(), n, output_dim_);
  return out;
}

std::string Projection::Serialize() const {
  ByteWriter w;
  w.PutBytes(absl::string_view(kMagic, 4));
  w.PutU16(kFormatVersion);
  w.PutU8(static_cast<uint8_t>(options_.scaling));
  w.PutU8(options_.l2_normalize ? 1 : 0);
  w.PutU32(static_cast<uint32_t>(input_dim_));
  w.PutU32(static_cast<uint32_t>(output_dim_));
  w.PutU32(static_cast<uint32_t>(pca_dims_));
  w.PutU32(static_cast<uint32_t>(options_.pca_dims));
  if (options_.scaling != Scaling::kNone) {
    w.PutFloats(offset_);
    w.PutFloats(factor_);
  }
  if (pca_ != nullptr) {
    // Writing a trained PCA matrix to memory does not fail in practice; a
    // failure would leave an empty blob, which Deserialize rejects.
    absl::StatusOr<std::string> pca_bytes = pca_->Serialize();
    w.PutBlob(pca_bytes.ok() ? absl::string_view(*pca_bytes)
                             : absl::string_view());
  }
  return w.FinishWithCrc();
}

absl::StatusOr<Projection> Projection::Deserialize(absl::string_view blob) {
  constexpr absl::string_view kWhat = "projection blob";
  ASSIGN_OR_RETURN(absl::string_view body, StripCrc(blob, kWhat));
  ByteReader r(body, kWhat);
  ASSIGN_OR_RETURN(absl::string_view magic, r.ReadBytes(4, "magic"));
  if (magic != absl::string_view(kMagic, 4)) {
    return absl::InvalidArgumentError("projection blob: bad magic");
  }
  ASSIGN_OR_RETURN(uint16_t version, r.ReadU16("version"));
  if (version != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("projection blob: unsupported format version ", version,
                     " (this build reads ", kFormatVersion, ")"));
  }
  Projection p;
  ASSIGN_OR_RETURN(uint8_t scaling, r.ReadU8("scaling"));
  if (scaling > static_cast<uint8_t>(Scaling::kZScore)) {
    return absl::InvalidArgumentError(
        absl::StrCat("projection blob: bad scaling ", scaling));
  }
  p.options_.scaling = static_cast<Scaling>(scaling);
  ASSIGN_OR_RETURN(uint8_t l2, r.ReadU8("l2_normalize"));
  if (l2 > 1) {
    return absl::InvalidArgumentError("projection blob: bad l2 flag");
  }
  p.options_.l2_normalize = l2 == 1;
  ASSIGN_OR_RETURN(uint32_t input_dim, r.ReadU32("input_dim"));
  ASSIGN_OR_RETURN(uint32_t output_dim, r.ReadU32("output_dim"));
  ASSIGN_OR_RETURN(uint32_t pca_dims, r.ReadU32("pca_dims"));
  ASSIGN_OR_RETURN(uint32_t requested, r.ReadU32("requested_pca_dims"));
  if (input_dim == 0 || input_dim > (1u << 24) || pca_dims > input_dim ||
      requested > kMaxPcaDims ||
      output_dim != (pca_dims == 0 ? input_dim : pca_dims) ||
      (requested == 0) != (pca_dims == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "projection blob: inconsistent dims (input ", input_dim, ", output ",
        output_dim, ", pca ", pca_dims, ", requested ", requested, ")"));
  }
  p.input_dim_ = static_cast<int>(input_dim);
  p.output_dim_ = static_cast<int>(output_dim);
  p.pca_dims_ = static_cast<int>(pca_dims);
  p.options_.pca_dims = static_cast<int>(requested);
  if (p.options_.scaling != Scaling::kNone) {
    RETURN_IF_ERROR(r.ReadFloats(input_dim, "scaling offsets", &p.offset_));
    RETURN_IF_ERROR(r.ReadFloats(input_dim, "scaling factors", &p.factor_));
    for (size_t d = 0; d < input_dim; ++d) {
      if (!std::isfinite(p.offset_[d]) || !std::isfinite(p.factor_[d])) {
        return absl::InvalidArgumentError(
            "projection blob: non-finite scaling parameter");
      }
    }
  }
  if (pca_dims > 0) {
    ASSIGN_OR_RETURN(absl::string_view pca_bytes, r.ReadBlob("pca"));
    ASSIGN_OR_RETURN(
        p.pca_, PcaMatrix::Deserialize(pca_bytes, static_cast<int>(input_dim),
                                       static_cast<int>(pca_dims), kWhat));
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return p;
}

}  // namespace soundsearch
