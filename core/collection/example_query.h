// The ranked lists of a query with several examples for and against
// (SoundCollection::QueryByExamples, ExampleStrategy in sound_collection.h),
// built on LiveSpace::Search; paging and grouping are TakePage's
// (ranked_page.h).
#ifndef SOUNDSEARCH_CORE_COLLECTION_EXAMPLE_QUERY_H_
#define SOUNDSEARCH_CORE_COLLECTION_EXAMPLE_QUERY_H_

#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "collection/live_space.h"
#include "collection/ranked_page.h"
#include "collection/tag_index.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

// The examples as index vectors of one view's space.
struct ExampleVectors {
  std::vector<std::vector<float>> positive;  // at least one
  std::vector<std::vector<float>> negative;
  std::vector<uint64_t> exclude;  // ids never returned
  // kAverage: query expansion of the combined vector (query_expansion.h),
  // its neighbours never among `examples` (the ids of the stored examples).
  NeighbourhoodOptions expand;
  std::vector<uint64_t> examples;
};

// kAverage: VectorFetch of mean(positive) - negative_weight mean(negative),
// expanded when examples.expand is on; InvalidArgument when that vector is
// zero (the examples cancel out).
// kBestScore: each candidate (the union of every positive's own ranking,
// m deep, m = n + exclude.size() to start) is scored against every example
// by a search restricted to the candidates; hits carry sources "positive"
// (best positive score) and, with negatives, "negative". The candidate
// lists are deepened (x4) until the n-th hit that no negative dominates
// scores at least the last score of every positive's list that filled its
// depth, or kMaxGroupCandidates, so the dominant part of the ranking is
// exact. min_score drops candidates whose best positive score is below it;
// `exact` as QueryOptions::exact for every index search.
// `live` must outlive the function.
absl::StatusOr<RankedFetch> ExampleFetch(const LiveSpace& live,
                                         std::shared_ptr<const SpaceView> view,
                                         ExampleVectors examples,
                                         ExampleStrategy strategy,
                                         float negative_weight,
                                         std::optional<float> min_score,
                                         std::shared_ptr<const IdSet> allowed,
                                         bool exact = false);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_EXAMPLE_QUERY_H_
