#include "collection/query_expansion.h"

#include <algorithm>

#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<std::vector<float>> ExpandQuery(
    const LiveSpace& live, const SpaceView& view, std::vector<float> query,
    const NeighbourhoodOptions& expand, absl::Span<const uint64_t> exclude) {
  if (!expand.enabled()) return query;
  QueryOptions options;
  options.k = expand.neighbours + static_cast<int>(exclude.size());
  ASSIGN_OR_RETURN(QueryResult first,
                   live.Search(view, query, options, std::nullopt, nullptr));
  std::vector<std::vector<float>> vectors;
  std::vector<float> weights;
  for (const QueryHit& hit : first.hits) {
    if (static_cast<int>(vectors.size()) == expand.neighbours) break;
    if (std::find(exclude.begin(), exclude.end(), hit.id) != exclude.end()) {
      continue;
    }
    const float w = NeighbourWeight(hit.score, expand.alpha);
    if (w == 0.0f) continue;
    absl::StatusOr<std::vector<float>> v = live.StoredVector(view, hit.id);
    if (absl::IsNotFound(v.status())) continue;
    if (!v.ok()) return v.status();
    if (v->size() != query.size()) {
      return absl::InternalError("a neighbour's vector has another dimension");
    }
    vectors.push_back(*std::move(v));
    weights.push_back(w);
  }
  if (vectors.empty()) return query;
  std::vector<const float*> rows;
  for (const std::vector<float>& v : vectors) rows.push_back(v.data());
  NeighbourhoodMean(query, rows, weights, absl::MakeSpan(query));
  return query;
}

}  // namespace soundsearch
