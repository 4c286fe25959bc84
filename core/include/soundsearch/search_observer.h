// SearchObserver: how the collection reports its index searches to the layer
// that keeps metrics (server/'s ServerMetrics implements it), without
// including it.
#ifndef SOUNDSEARCH_SEARCH_OBSERVER_H_
#define SOUNDSEARCH_SEARCH_OBSERVER_H_

#include "absl/strings/string_view.h"

namespace soundsearch {

// Thread-safety: called from query threads, concurrently; implementations
// must be thread-safe and cheap.
class SearchObserver {
 public:
  virtual ~SearchObserver() = default;
  // One call into the index of `space` answering `queries` queries (1 when a
  // query was searched alone; more when concurrent queries were coalesced)
  // in `seconds` (the index call alone).
  virtual void OnIndexSearch(absl::string_view space, int queries,
                             double seconds) = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SEARCH_OBSERVER_H_
