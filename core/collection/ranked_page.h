// Paging and grouping over a ranked list, for every ranked query of the
// collection (by example, by text): the list is any function that returns
// its first n hits; a page is asked of it, with offset, k and grouping
// applied here, outside the index.
#ifndef SOUNDSEARCH_CORE_COLLECTION_RANKED_PAGE_H_
#define SOUNDSEARCH_CORE_COLLECTION_RANKED_PAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "collection/live_space.h"
#include "collection/tag_index.h"
#include "soundsearch/sound_collection.h"

namespace soundsearch {

// The first n hits of a ranked list, best first (fewer when the list has
// fewer). Called with increasing n; each call ranks afresh.
using RankedFetch = std::function<absl::StatusOr<std::vector<QueryHit>>(int n)>;

// The ranked list of one query vector (from view->space) in view's index,
// through LiveSpace::Search: the ids in `exclude` never come back (the
// search asks for n + exclude.size() hits and drops them), only ids in
// `allowed` (null: every id), none scoring below min_score; `exact` as
// QueryOptions::exact. `live` must outlive the function.
RankedFetch VectorFetch(const LiveSpace& live,
                        std::shared_ptr<const SpaceView> view,
                        std::vector<float> query, std::vector<uint64_t> exclude,
                        std::optional<float> min_score,
                        std::shared_ptr<const IdSet> allowed,
                        bool exact = false);

// Reciprocal rank fusion of named rankings: fetch(n) asks each source for
// max(100, 2 n) hits; a hit's score is the sum over the sources that rank
// it of 1 / (60 + rank) (rank 1-based), its `sources` list each source's
// own score and rank, and hits are ordered by that sum (ties: the better
// best rank, then the smaller id). With one source the ranking, the scores
// and the depth are that source's own (sources filled likewise).
RankedFetch MergedFetch(
    std::vector<std::pair<std::string, RankedFetch>> sources);

// The group of a sound (GroupBy); an empty key is a group of its own.
// NotFound (the sound was deleted meanwhile) drops the hit.
using GroupKeyFn = std::function<absl::StatusOr<std::string>(uint64_t id)>;

struct RankedPage {
  std::vector<QueryHit> hits;  // at most k
  bool more = false;           // a hit follows the page
};

// Hits [offset, offset + k) of `fetch`'s list (offset >= 0, k >= 1). With
// `group_key` (not null), only the best hit of each group counts: the list
// is fetched in growing prefixes (4 (offset + k + 1), then x4 each time)
// until offset + k + 1 groups are seen, the list ends, or
// kMaxGroupCandidates hits were looked at. Errors of `fetch` and
// `group_key` (other than NotFound) are returned.
absl::StatusOr<RankedPage> TakePage(const RankedFetch& fetch, int offset, int k,
                                    const GroupKeyFn* group_key);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_RANKED_PAGE_H_
