#include "embedding/term_weighting.h"

#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "embedding/byte_io.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr char kMagic[] = "SSTW";
constexpr uint16_t kFormatVersion = 1;
constexpr int kMaxBlocks = 64;

absl::Status CheckLayout(const TermLayout& layout) {
  if (layout.block_sizes.empty() ||
      layout.block_sizes.size() > static_cast<size_t>(kMaxBlocks) ||
      layout.block_weights.size() != layout.block_sizes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "term layout: ", layout.block_sizes.size(), " blocks and ",
        layout.block_weights.size(), " weights"));
  }
  int64_t total = 0;
  for (size_t b = 0; b < layout.block_sizes.size(); ++b) {
    if (layout.block_sizes[b] < 0 || !(layout.block_weights[b] >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("term layout: block ", b, " has size ",
                       layout.block_sizes[b], ", weight ",
                       layout.block_weights[b]));
    }
    total += layout.block_sizes[b];
  }
  if (total <= 0) return absl::InvalidArgumentError("term layout: no dims");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TermWeighting> TermWeighting::Unit(const TermLayout& layout) {
  RETURN_IF_ERROR(CheckLayout(layout));
  TermWeighting t;
  t.block_sizes_ = layout.block_sizes;
  t.idf_.assign(std::accumulate(layout.block_sizes.begin(),
                                layout.block_sizes.end(), int64_t{0}),
                1.0f);
  return t;
}

absl::StatusOr<TermWeighting> TermWeighting::Fit(absl::Span<const float> rows,
                                                 int64_t n,
                                                 const TermLayout& layout) {
  ASSIGN_OR_RETURN(TermWeighting t, Unit(layout));
  if (n <= 0) {
    return absl::FailedPreconditionError("term weighting: no clips to fit");
  }
  const size_t dim = t.idf_.size();
  if (rows.size() != static_cast<size_t>(n) * dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("term weighting: expected ", n, " x ", dim,
                     " counts, got ", rows.size()));
  }
  std::vector<int64_t> df(dim, 0);
  for (int64_t i = 0; i < n; ++i) {
    const float* row = rows.data() + i * dim;
    for (size_t j = 0; j < dim; ++j) df[j] += row[j] > 0 ? 1 : 0;
  }
  for (size_t j = 0; j < dim; ++j) {
    t.idf_[j] = static_cast<float>(
        std::log((1.0 + static_cast<double>(n)) /
                 (1.0 + static_cast<double>(df[j]))) +
        1.0);
  }
  return t;
}

void TermWeighting::Apply(float* rows, int64_t n,
                          absl::Span<const float> weights) const {
  const size_t dim = idf_.size();
  for (int64_t i = 0; i < n; ++i) {
    float* row = rows + i * dim;
    size_t begin = 0;
    for (size_t b = 0; b < block_sizes_.size(); ++b) {
      const size_t end = begin + block_sizes_[b];
      double sq = 0;
      for (size_t j = begin; j < end; ++j) {
        row[j] *= idf_[j];
        sq += static_cast<double>(row[j]) * row[j];
      }
      const float w = b < weights.size() ? weights[b] : 1.0f;
      const float scale = sq > 0 ? static_cast<float>(w / std::sqrt(sq)) : 0;
      for (size_t j = begin; j < end; ++j) row[j] *= scale;
      begin = end;
    }
  }
}

std::string TermWeighting::Serialize() const {
  ByteWriter w;
  w.PutBytes(absl::string_view(kMagic, 4));
  w.PutU16(kFormatVersion);
  w.PutU32(static_cast<uint32_t>(block_sizes_.size()));
  for (int size : block_sizes_) w.PutU32(static_cast<uint32_t>(size));
  w.PutFloats(idf_);
  return w.FinishWithCrc();
}

absl::StatusOr<TermWeighting> TermWeighting::Deserialize(
    absl::string_view blob) {
  const std::string what = "term weighting";
  ASSIGN_OR_RETURN(absl::string_view body, StripCrc(blob, what));
  ByteReader r(body, what);
  ASSIGN_OR_RETURN(absl::string_view magic, r.ReadBytes(4, "magic"));
  if (magic != absl::string_view(kMagic, 4)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": bad magic"));
  }
  ASSIGN_OR_RETURN(uint16_t format, r.ReadU16("format version"));
  if (format != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": unsupported format version ", format));
  }
  ASSIGN_OR_RETURN(uint32_t blocks, r.ReadU32("blocks"));
  if (blocks == 0 || blocks > kMaxBlocks) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": bad block count ", blocks));
  }
  TermWeighting t;
  uint64_t total = 0;
  for (uint32_t b = 0; b < blocks; ++b) {
    ASSIGN_OR_RETURN(uint32_t size, r.ReadU32("block size"));
    if (size > (1u << 24)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": bad block size ", size));
    }
    t.block_sizes_.push_back(static_cast<int>(size));
    total += size;
  }
  RETURN_IF_ERROR(r.ReadFloats(total, "idf", &t.idf_));
  RETURN_IF_ERROR(r.ExpectEnd());
  for (float v : t.idf_) {
    if (!std::isfinite(v) || v <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": bad idf value"));
    }
  }
  return t;
}

}  // namespace soundsearch
