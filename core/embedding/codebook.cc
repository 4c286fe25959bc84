#include "embedding/codebook.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "embedding/byte_io.h"
#include "soundsearch/kmeans.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr char kMagic[] = "SSCB";
constexpr uint16_t kFormatVersion = 1;

absl::Status ValidateForFit(const CodebookConfig& c) {
  if (c.k < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("codebook: k must be >= 2, got ", c.k));
  }
  if (c.iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("codebook: iterations must be >= 1, got ", c.iterations));
  }
  if (c.fit_frames_per_clip < 1 || c.fit_max_frames < 1) {
    return absl::InvalidArgumentError(
        "codebook: fit_frames_per_clip and fit_max_frames must be >= 1");
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<int64_t> EvenlySpaced(int64_t n, int64_t count) {
  std::vector<int64_t> idx;
  if (n <= 0 || count <= 0) return idx;
  if (count >= n) {
    idx.resize(n);
    for (int64_t i = 0; i < n; ++i) idx[i] = i;
    return idx;
  }
  idx.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    // i * n < count * n fits in 64 bits for any realistic sizes.
    idx[i] = i * n / count;
  }
  return idx;
}

absl::StatusOr<Codebook> Codebook::FromCentroids(int k, int dim, int seed,
                                                 std::vector<float> centroids) {
  if (k < 2 || dim < 1 ||
      centroids.size() != static_cast<size_t>(k) * static_cast<size_t>(dim)) {
    return absl::InternalError(absl::StrCat("codebook: ", centroids.size(),
                                            " centroid values for k = ", k,
                                            ", dim = ", dim));
  }
  Codebook cb;
  cb.k_ = k;
  cb.dim_ = dim;
  cb.seed_ = seed;
  cb.centroids_ = std::move(centroids);
  return cb;
}

absl::StatusOr<Codebook> Codebook::Fit(
    absl::Span<const FrameMatrix* const> clips, const CodebookConfig& config) {
  RETURN_IF_ERROR(ValidateForFit(config));
  int dim = 0;
  for (const FrameMatrix* clip : clips) {
    if (clip == nullptr || clip->num_frames() == 0) continue;
    if (dim == 0) dim = clip->dim;
    if (clip->dim != dim) {
      return absl::InvalidArgumentError(
          absl::StrCat("codebook fit: frames of dim ", clip->dim,
                       " among frames of dim ", dim));
    }
  }
  // Per-clip sample, then the total cap.
  std::vector<float> sample;
  for (const FrameMatrix* clip : clips) {
    if (clip == nullptr || clip->num_frames() == 0) continue;
    for (int64_t i :
         EvenlySpaced(clip->num_frames(), config.fit_frames_per_clip)) {
      auto row = clip->row(static_cast<int>(i));
      sample.insert(sample.end(), row.begin(), row.end());
    }
  }
  const int64_t drawn = dim == 0 ? 0 : sample.size() / dim;
  if (drawn > config.fit_max_frames) {
    std::vector<float> capped;
    capped.reserve(static_cast<size_t>(config.fit_max_frames) * dim);
    for (int64_t i : EvenlySpaced(drawn, config.fit_max_frames)) {
      capped.insert(capped.end(), sample.begin() + i * dim,
                    sample.begin() + (i + 1) * dim);
    }
    sample.swap(capped);
  }
  const int64_t n = dim == 0 ? 0 : sample.size() / dim;
  if (n < config.k) {
    return absl::FailedPreconditionError(
        absl::StrCat("codebook fit: ", n, " frames drawn from ", clips.size(),
                     " clips, need at least k = ", config.k));
  }
  for (float v : sample) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError("codebook fit: non-finite frame value");
    }
  }

  // Our own caps decided the sample; k-means trains on all of it.
  KMeansParams params;
  params.k = config.k;
  params.iterations = config.iterations;
  params.seed = config.seed;
  auto centroids = FitKMeans(sample, dim, params);
  if (!centroids.ok()) {
    return absl::Status(
        centroids.status().code(),
        absl::StrCat("codebook fit: ", centroids.status().message()));
  }
  return FromCentroids(config.k, dim, config.seed, *std::move(centroids));
}

absl::StatusOr<std::vector<float>> Codebook::Quantize(
    const FrameMatrix& frames) const {
  const int n = frames.num_frames();
  if (n == 0 || frames.dim != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat("codebook quantize: need frames of dim ", dim_, ", got ",
                     n, " x ", frames.dim));
  }
  for (float v : frames.data) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError("codebook quantize: non-finite frame");
    }
  }
  ASSIGN_OR_RETURN(std::vector<int> nearest,
                   NearestCentroids(frames.data, dim_, centroids_));
  std::vector<double> counts(k_, 0.0);
  for (int codeword : nearest) counts[codeword] += 1.0;
  std::vector<float> histogram(k_);
  for (int j = 0; j < k_; ++j) {
    histogram[j] = static_cast<float>(counts[j] / n);
  }
  return histogram;
}

std::string Codebook::Serialize() const {
  ByteWriter w;
  w.PutBytes(absl::string_view(kMagic, 4));
  w.PutU16(kFormatVersion);
  w.PutU32(static_cast<uint32_t>(k_));
  w.PutU32(static_cast<uint32_t>(dim_));
  w.PutU32(static_cast<uint32_t>(seed_));
  w.PutFloats(centroids_);
  return w.FinishWithCrc();
}

absl::StatusOr<Codebook> Codebook::Deserialize(absl::string_view blob) {
  constexpr absl::string_view kWhat = "codebook blob";
  ASSIGN_OR_RETURN(absl::string_view body, StripCrc(blob, kWhat));
  ByteReader r(body, kWhat);
  ASSIGN_OR_RETURN(absl::string_view magic, r.ReadBytes(4, "magic"));
  if (magic != absl::string_view(kMagic, 4)) {
    return absl::InvalidArgumentError("codebook blob: bad magic");
  }
  ASSIGN_OR_RETURN(uint16_t version, r.ReadU16("version"));
  if (version != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("codebook blob: unsupported format version ", version,
                     " (this build reads ", kFormatVersion, ")"));
  }
  ASSIGN_OR_RETURN(uint32_t k, r.ReadU32("k"));
  ASSIGN_OR_RETURN(uint32_t dim, r.ReadU32("dim"));
  ASSIGN_OR_RETURN(uint32_t seed, r.ReadU32("seed"));
  if (k < 2 || dim == 0 || k > (1u << 24) || dim > (1u << 16)) {
    return absl::InvalidArgumentError(
        absl::StrCat("codebook blob: bad shape k = ", k, ", dim = ", dim));
  }
  std::vector<float> centroids;
  RETURN_IF_ERROR(
      r.ReadFloats(static_cast<uint64_t>(k) * dim, "centroids", &centroids));
  RETURN_IF_ERROR(r.ExpectEnd());
  for (float v : centroids) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          "codebook blob: non-finite centroid value");
    }
  }
  return FromCentroids(static_cast<int>(k), static_cast<int>(dim),
                       static_cast<int>(seed), std::move(centroids));
}

}  // namespace soundsearch
