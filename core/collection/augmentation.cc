#include "collection/augmentation.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// Vectors searched per SearchBatch call while augmenting a collection.
constexpr size_t kAugmentBatch = 1024;

void Normalise(absl::Span<float> v) {
  double n = 0;
  for (float x : v) n += double{x} * x;
  if (n <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (float& x : v) x *= inv;
}

// The normalised mean of `self` (normalised) and `rows` (normalised).
std::vector<float> Mean(std::vector<float> self,
                        const std::vector<std::vector<float>>& rows,
                        const std::vector<float>& weights) {
  std::vector<const float*> pointers;
  for (const std::vector<float>& r : rows) pointers.push_back(r.data());
  NeighbourhoodMean(self, pointers, weights, absl::MakeSpan(self));
  Normalise(absl::MakeSpan(self));
  return self;
}

}  // namespace

absl::Status AddAugmented(const VectorIndex& projected,
                          absl::Span<const int64_t> ids,
                          const NeighbourhoodOptions& options,
                          VectorIndex& target) {
  const int dim = projected.dim();
  for (size_t begin = 0; begin < ids.size(); begin += kAugmentBatch) {
    const size_t n = std::min(kAugmentBatch, ids.size() - begin);
    const auto batch_ids = ids.subspan(begin, n);
    std::vector<float> queries;
    queries.reserve(n * dim);
    for (int64_t id : batch_ids) {
      ASSIGN_OR_RETURN(std::vector<float> v, projected.Vector(id));
      queries.insert(queries.end(), v.begin(), v.end());
    }
    SearchOptions search;
    search.k = options.neighbours;
    ASSIGN_OR_RETURN(std::vector<std::vector<SearchHit>> hits,
                     projected.SearchBatch(queries, search, batch_ids));
    std::vector<float> out;
    out.reserve(n * dim);
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::vector<float>> rows;
      std::vector<float> weights;
      for (const SearchHit& hit : hits[i]) {
        ASSIGN_OR_RETURN(std::vector<float> row, projected.Vector(hit.id));
        rows.push_back(std::move(row));
        weights.push_back(NeighbourWeight(hit.score, options.alpha));
      }
      std::vector<float> self(queries.begin() + i * dim,
                              queries.begin() + (i + 1) * dim);
      const std::vector<float> mean = Mean(std::move(self), rows, weights);
      out.insert(out.end(), mean.begin(), mean.end());
    }
    RETURN_IF_ERROR(target.Add(batch_ids, out));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> AugmentOne(
    std::vector<float> vector, const NeighbourhoodOptions& options,
    const NeighbourSearchFn& search, const ProjectedVectorFn& projected_of) {
  Normalise(absl::MakeSpan(vector));
  if (!options.enabled()) return vector;
  // A few more than wanted: the index ranks augmented vectors; the raw
  // cosines decide.
  ASSIGN_OR_RETURN(std::vector<SearchHit> hits,
                   search(vector, options.neighbours * 2));
  struct Neighbour {
    int64_t id;
    float score;
    std::vector<float> row;
  };
  std::vector<Neighbour> found;
  for (const SearchHit& hit : hits) {
    auto row = projected_of(static_cast<uint64_t>(hit.id));
    if (absl::IsNotFound(row.status())) continue;
    RETURN_IF_ERROR(row.status());
    if (row->size() != vector.size()) {
      return absl::InternalError("a neighbour's vector has another dimension");
    }
    Normalise(absl::MakeSpan(*row));
    double dot = 0;
    for (size_t d = 0; d < vector.size(); ++d)
      dot += double{vector[d]} * (*row)[d];
    found.push_back({hit.id, static_cast<float>(dot), *std::move(row)});
  }
  std::sort(found.begin(), found.end(),
            [](const Neighbour& a, const Neighbour& b) {
              return a.score > b.score || (a.score == b.score && a.id < b.id);
            });
  if (found.size() > static_cast<size_t>(options.neighbours)) {
    found.resize(options.neighbours);
  }
  std::vector<std::vector<float>> rows;
  std::vector<float> weights;
  for (Neighbour& n : found) {
    weights.push_back(NeighbourWeight(n.score, options.alpha));
    rows.push_back(std::move(n.row));
  }
  return Mean(std::move(vector), rows, weights);
}

}  // namespace soundsearch
