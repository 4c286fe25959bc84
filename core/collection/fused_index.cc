#include "collection/fused_index.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

double Norm(absl::Span<const float> v) {
  double n = 0;
  for (float x : v) n += double{x} * x;
  return std::sqrt(n);
}

double Dot(absl::Span<const float> a, absl::Span<const float> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double{a[i]} * b[i];
  return s;
}

}  // namespace

std::vector<float> FusionScales(absl::Span<const float> weights) {
  double sum = 0;
  for (float w : weights) sum += w;
  std::vector<float> out;
  out.reserve(weights.size());
  for (float w : weights) {
    out.push_back(sum > 0 ? static_cast<float>(std::sqrt(w / sum)) : 0.0f);
  }
  return out;
}

absl::StatusOr<std::vector<float>> FuseVectors(
    absl::Span<const std::vector<float>> parts,
    absl::Span<const float> scales) {
  if (parts.size() != scales.size()) {
    return absl::InvalidArgumentError(absl::StrCat("fusion: ", parts.size(),
                                                   " part vectors for ",
                                                   scales.size(), " parts"));
  }
  size_t dim = 0;
  for (const std::vector<float>& p : parts) dim += p.size();
  std::vector<float> out;
  out.reserve(dim);
  for (size_t p = 0; p < parts.size(); ++p) {
    const double norm = Norm(parts[p]);
    const double factor = norm > 0 ? scales[p] / norm : 0.0;
    for (float x : parts[p]) out.push_back(static_cast<float>(x * factor));
  }
  return out;
}

LateFusionIndex::LateFusionIndex(std::vector<LateFusionPart> parts,
                                 int candidates)
    : parts_(std::move(parts)), candidates_(candidates) {
  int dim = 0;
  for (const LateFusionPart& part : parts_) {
    offsets_.push_back(dim);
    dim += part.index->dim();
  }
  options_.dim = dim;
  options_.metric = Metric::kCosine;
  options_.index.kind = "late_fusion";
}

absl::Status LateFusionIndex::Add(absl::Span<const int64_t>,
                                  absl::Span<const float>) {
  return absl::FailedPreconditionError(
      "a late fusion holds no vectors: its parts' indexes do");
}

absl::StatusOr<int64_t> LateFusionIndex::Remove(absl::Span<const int64_t>) {
  return 0;
}

absl::Status LateFusionIndex::Save(const std::string&,
                                   const SnapshotMarks&) const {
  return absl::UnimplementedError("a late fusion has no snapshot");
}

int64_t LateFusionIndex::size() const {
  return parts_.empty() ? 0 : parts_[0].index->size();
}

bool LateFusionIndex::Contains(int64_t id) const {
  for (const LateFusionPart& part : parts_) {
    if (!part.index->Contains(id)) return false;
  }
  return !parts_.empty();
}

absl::StatusOr<std::vector<float>> LateFusionIndex::Vector(int64_t id) const {
  std::vector<std::vector<float>> vectors;
  std::vector<float> scales;
  for (const LateFusionPart& part : parts_) {
    ASSIGN_OR_RETURN(std::vector<float> v,
                     part.vector(static_cast<uint64_t>(id)));
    vectors.push_back(std::move(v));
    scales.push_back(part.scale);
  }
  ASSIGN_OR_RETURN(std::vector<float> fused, FuseVectors(vectors, scales));
  const double norm = Norm(fused);  // 1 unless a part vector is zero
  if (norm > 0) {
    for (float& x : fused) x = static_cast<float>(x / norm);
  }
  return fused;
}

absl::StatusOr<std::vector<SearchHit>> LateFusionIndex::Search(
    absl::Span<const float> query, const SearchOptions& options) const {
  if (query.size() != static_cast<size_t>(options_.dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query has ", query.size(), " floats, the fusion ", options_.dim));
  }
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be >= 1, got ", options.k));
  }
  for (float x : query) {
    if (!std::isfinite(x)) {
      return absl::InvalidArgumentError(
          "query holds a value that is not finite");
    }
  }
  const double query_norm = Norm(query);
  if (!(query_norm > 0)) {
    return absl::InvalidArgumentError(
        "query vector is all zeros, which cosine similarity cannot rank");
  }
  const int depth =
      candidates_ > 0 ? candidates_ : std::max(options.k * 4, 100);
  // The parts the query has a share in.
  std::vector<size_t> active;
  for (size_t p = 0; p < parts_.size(); ++p) {
    const auto slice = query.subspan(offsets_[p], parts_[p].index->dim());
    if (parts_[p].scale > 0 && Norm(slice) > 0) active.push_back(p);
  }
  absl::flat_hash_set<int64_t> candidates;
  for (size_t p : active) {
    SearchOptions part_options;
    part_options.k = depth;
    part_options.exclude_ids = options.exclude_ids;
    part_options.filter = options.filter;
    part_options.exact = options.exact;
    ASSIGN_OR_RETURN(
        std::vector<SearchHit> hits,
        parts_[p].index->Search(
            query.subspan(offsets_[p], parts_[p].index->dim()), part_options));
    for (const SearchHit& hit : hits) candidates.insert(hit.id);
  }
  std::vector<SearchHit> out;
  out.reserve(candidates.size());
  for (int64_t id : candidates) {
    double score = 0;
    bool gone = false;
    for (size_t p : active) {
      auto v = parts_[p].vector(static_cast<uint64_t>(id));
      if (absl::IsNotFound(v.status())) {
        gone = true;  // deleted meanwhile
        break;
      }
      RETURN_IF_ERROR(v.status());
      const auto slice = query.subspan(offsets_[p], v->size());
      if (v->size() != static_cast<size_t>(parts_[p].index->dim())) {
        return absl::InternalError("a part vector of another dimension");
      }
      const double norm = Norm(*v);
      if (norm > 0) score += parts_[p].scale * Dot(slice, *v) / norm;
    }
    if (gone) continue;
    const float s = static_cast<float>(score / query_norm);
    if (s < options.min_score) continue;
    out.push_back({id, s});
  }
  std::sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.score > b.score || (a.score == b.score && a.id < b.id);
  });
  if (out.size() > static_cast<size_t>(options.k)) out.resize(options.k);
  return out;
}

absl::StatusOr<std::vector<std::vector<SearchHit>>>
LateFusionIndex::SearchBatch(
    absl::Span<const float> queries, const SearchOptions& options,
    absl::Span<const int64_t> exclude_per_query) const {
  const size_t dim = static_cast<size_t>(options_.dim);
  if (dim == 0 || queries.size() % dim != 0 || queries.empty()) {
    return absl::InvalidArgumentError("queries: not a whole number of vectors");
  }
  const size_t n = queries.size() / dim;
  if (!exclude_per_query.empty() && exclude_per_query.size() != n) {
    return absl::InvalidArgumentError("exclude_per_query: one id per query");
  }
  std::vector<std::vector<SearchHit>> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    SearchOptions one = options;
    std::vector<int64_t> exclude(options.exclude_ids.begin(),
                                 options.exclude_ids.end());
    if (!exclude_per_query.empty()) exclude.push_back(exclude_per_query[i]);
    one.exclude_ids = exclude;
    ASSIGN_OR_RETURN(std::vector<SearchHit> hits,
                     Search(queries.subspan(i * dim, dim), one));
    out.push_back(std::move(hits));
  }
  return out;
}

}  // namespace soundsearch
