// Query expansion of a vector query (docs/api.md, "Query expansion"): the
// query is searched once, and replaced by NeighbourhoodMean of itself and the
// index vectors of its nearest results weighted by max(score, 0)^alpha
// (soundsearch/neighbourhood.h); the caller then searches with the result.
// The neighbours come from the whole index (filters apply to the final
// ranking only), the examples themselves left out.
//
// Thread-safety: as LiveSpace's query methods (any thread, one view).
#ifndef SOUNDSEARCH_CORE_COLLECTION_QUERY_EXPANSION_H_
#define SOUNDSEARCH_CORE_COLLECTION_QUERY_EXPANSION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "collection/live_space.h"
#include "soundsearch/neighbourhood.h"

namespace soundsearch {

// The expanded `query` (of view.space's index dimension) under `view`.
// Returns `query` unchanged when expansion is off or no neighbour is found.
// A neighbour deleted meanwhile is skipped. Errors of the search and the
// store.
absl::StatusOr<std::vector<float>> ExpandQuery(
    const LiveSpace& live, const SpaceView& view, std::vector<float> query,
    const NeighbourhoodOptions& expand, absl::Span<const uint64_t> exclude);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_QUERY_EXPANSION_H_
