// Small pieces shared by the collection's ingest and query code: merging the
// auto-tags of several spaces, and dropping hits of sounds an index out of
// step with the store still holds. Private to core/collection.
//
// Thread-safety: free functions; the store and live space are used as
// their own headers allow.
#ifndef SOUNDSEARCH_CORE_COLLECTION_QUERY_HITS_H_
#define SOUNDSEARCH_CORE_COLLECTION_QUERY_HITS_H_

#include <vector>

#include "collection/live_space.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

// Adds `from` to `*into`: a tag predicted by several spaces keeps its
// highest probability; the result is sorted most probable first (ties by
// name).
void MergeAutoTags(const std::vector<AutoTag>& from,
                   std::vector<AutoTag>* into);

// Only an index out of step with the store (a delete it could not apply,
// LiveSpace::diverged) may hold a sound the store no longer has: while
// `live` is diverged, the hits of such sounds are dropped from `*hits`;
// otherwise nothing is read.
void DropGoneHits(const LiveSpace& live, const SoundStore& store,
                  std::vector<QueryHit>* hits);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_QUERY_HITS_H_
