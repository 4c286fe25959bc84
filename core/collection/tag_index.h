// TagIndex: in-memory inverted index from tags and labels to sound ids, for
// metadata filters at query time, plus collection-wide totals.
#ifndef SOUNDSEARCH_CORE_COLLECTION_TAG_INDEX_H_
#define SOUNDSEARCH_CORE_COLLECTION_TAG_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_record.h"

namespace soundsearch {

using IdSet = absl::flat_hash_set<int64_t>;

// Thread-safety: all methods are thread-safe (one reader/writer lock).
class TagIndex {
 public:
  // Indexes the record's tags, auto-tag names and labels under its id.
  void Add(const SoundRecord& record);
  // Forgets the record (same fields as given to Add).
  void Remove(const SoundRecord& record);

  // The ids that satisfy every clause of `filter` (an empty filter matches
  // every id). The result is a snapshot, owned by the caller.
  std::shared_ptr<const IdSet> Match(const SoundFilter& filter) const;

  double total_duration_seconds() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, IdSet> by_tag_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, IdSet> by_label_ ABSL_GUARDED_BY(mu_);
  IdSet all_ ABSL_GUARDED_BY(mu_);
  double total_duration_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_TAG_INDEX_H_
