// SearchCoalescer: gathers the searches that concurrent queries make on one
// space's index into one batched VectorIndex::SearchBatch call. With an
// optimised BLAS an exact batch of 16 costs a fraction of 16 single
// searches (docs/performance.md). Private to core; LiveSpace owns one.
//
// Leader/follower queue (as leveldb's writer queue): a caller enqueues its
// queries; the caller at the front becomes the leader, waits until the
// queue holds `max_batch` queries or `window` has passed since it arrived
// (and until fewer than `max_in_flight` batches run), takes up to
// `max_batch` queued queries of the same index and search options from the
// front, searches them in one call without the lock, and hands each caller
// its results. A lone query waits at most `window`, and not at all when it
// finds nothing queued or being searched and the previous batch was a lone
// query too (a quiet space: waiting would only add latency; under load
// batches form while the previous one is searched). A batch takes one of
// the `max_in_flight` slots, except one that its index prefers to search
// wide (VectorIndex::PrefersWideBatches: an exact scan too large for the
// caches): it waits for every slot and searches with the OpenMP threads of
// them all, its rows split between them.
//
// Results are those the same query gets alone: the index answers each query
// of a batch independently of the others (vector_index.h), and every query,
// coalesced or not, is searched through the same BatchSearch with its own
// exclusion applied afterwards.
//
// Thread-safety: Search may be called from any number of threads.
#ifndef SOUNDSEARCH_CORE_COLLECTION_SEARCH_COALESCER_H_
#define SOUNDSEARCH_CORE_COLLECTION_SEARCH_COALESCER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "soundsearch/search_observer.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {

// One query for the coalescer: no filter (filtered queries are searched
// alone, with the filter inside the index search).
struct CoalescedQuery {
  absl::Span<const float> vector;  // index_dim floats; borrowed for the call
  int k = 15;                      // >= 1
  bool exact = false;              // SearchOptions::exact
  std::optional<int64_t> exclude;  // left out of the hits (the query's id)
  float min_score = -std::numeric_limits<float>::infinity();
};

using CoalescedResult = absl::StatusOr<std::vector<SearchHit>>;

// Searches `queries` (all of one k and exact flag) on `index` in one call and
// returns one result per query: the k best hits other than its `exclude`,
// at or above its min_score. The one search code path, used alone and by
// the coalescer.
std::vector<CoalescedResult> BatchSearch(
    const VectorIndex& index, absl::Span<const CoalescedQuery> queries);

class SearchCoalescer {
 public:
  // `space` names the space in observer reports; `observer` may be null and
  // must outlive the coalescer. options are valid
  // (ValidateSearchBatchingOptions).
  SearchCoalescer(std::string space, const SearchBatchingOptions& options,
                  SearchObserver* observer);
  SearchCoalescer(const SearchCoalescer&) = delete;
  SearchCoalescer& operator=(const SearchCoalescer&) = delete;

  // Searches every query on `index` (borrowed until the call returns),
  // possibly in one batch with other callers' queries. One result per query,
  // equal to BatchSearch(index, {query}).
  std::vector<CoalescedResult> Search(const VectorIndex& index,
                                      absl::Span<const CoalescedQuery> queries);

 private:
  // One caller's share of the queue.
  struct Waiter {
    const VectorIndex* index;
    const CoalescedQuery* query;  // one query per waiter
    int k;
    bool exact;
    absl::Time arrived;
    CoalescedResult* result;
    bool done = false;
  };

  bool BatchReady(const Waiter* leader) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Searches `batch`, which holds `slots` of the max_in_flight_ slots.
  void Run(std::vector<Waiter*>& batch, int slots);

  const std::string space_;
  const SearchBatchingOptions options_;
  const int max_in_flight_;  // options_.max_in_flight, 0 resolved
  SearchObserver* const observer_;

  mutable absl::Mutex mu_;
  std::deque<Waiter*> queue_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;   // a leader is gathering
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;      // slots of running batches
  size_t last_batch_ ABSL_GUARDED_BY(mu_) = 0;  // size of the latest batch
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_SEARCH_COALESCER_H_
