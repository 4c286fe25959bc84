// VectorIndexSlot: holds the current VectorIndex of a space and swaps in a
// replacement atomically (e.g. an index rebuilt after a PCA refit, or one
// loaded from a snapshot), while searches keep being answered.
#ifndef SOUNDSEARCH_VECTOR_INDEX_SLOT_H_
#define SOUNDSEARCH_VECTOR_INDEX_SLOT_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {

// Thread-safety: all methods are thread-safe. A caller keeps the index it got
// from Get() alive for as long as it uses it (shared ownership), so a swap
// never pulls an index out from under a running search; the old index is
// destroyed when its last user lets go.
class VectorIndexSlot {
 public:
  VectorIndexSlot() = default;
  explicit VectorIndexSlot(std::shared_ptr<VectorIndex> index);
  VectorIndexSlot(const VectorIndexSlot&) = delete;
  VectorIndexSlot& operator=(const VectorIndexSlot&) = delete;

  // The current index; nullptr when none was set.
  std::shared_ptr<VectorIndex> Get() const;

  // Replaces the current index with `index`, which must be non-null and have
  // the same dim and metric as the current one (if any): InvalidArgument
  // otherwise, and nothing changes. Returns the previous index (may be null).
  absl::StatusOr<std::shared_ptr<VectorIndex>> Swap(
      std::shared_ptr<VectorIndex> index);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<VectorIndex> index_ ABSL_GUARDED_BY(mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_VECTOR_INDEX_SLOT_H_
