// TagIndex: in-memory inverted index from tags and labels to sound ids, for
// metadata filters at query time, plus each sound's duration, time added and
// auto-tag probabilities (the range and probability clauses of a filter) and
// collection-wide totals. Rebuilt from the store at Open; nothing of it is
// persisted.
#ifndef SOUNDSEARCH_CORE_COLLECTION_TAG_INDEX_H_
#define SOUNDSEARCH_CORE_COLLECTION_TAG_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
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
  // Indexes the record's tags, auto-tags (names and probabilities), labels,
  // duration and time added under its id.
  void Add(const SoundRecord& record);
  // Forgets the record (same fields as given to Add).
  void Remove(const SoundRecord& record);

  // The ids that satisfy every clause of `filter` (an empty filter matches
  // every id). The result is a snapshot, owned by the caller. Cost: the
  // sizes of the sets named by tag and label clauses; a filter with only
  // range or auto-tag clauses visits every sound.
  std::shared_ptr<const IdSet> Match(const SoundFilter& filter) const;

  // Up to `limit` ids greater than `after` that satisfy `filter`, in
  // increasing order, and whether more such ids follow. limit >= 1.
  struct IdPage {
    std::vector<int64_t> ids;
    bool more = false;
  };
  IdPage List(const SoundFilter& filter, int64_t after, int limit) const;

  double total_duration_seconds() const;

 private:
  struct Facts {
    double duration_seconds = 0;
    int64_t added_unix_micros = 0;
  };
  // Whether the sound passes the range and auto-tag clauses of `filter`.
  bool PassesFacts(const SoundFilter& filter, int64_t id,
                   const Facts& facts) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  IdSet MatchLocked(const SoundFilter& filter) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, IdSet> by_tag_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, IdSet> by_label_ ABSL_GUARDED_BY(mu_);
  // auto-tag -> sound id -> probability.
  absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, float>>
      auto_tags_ ABSL_GUARDED_BY(mu_);
  IdSet all_ ABSL_GUARDED_BY(mu_);
  absl::btree_map<int64_t, Facts> facts_ ABSL_GUARDED_BY(mu_);  // by id
  double total_duration_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_TAG_INDEX_H_
