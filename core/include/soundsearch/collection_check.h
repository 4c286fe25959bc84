// The offline check of a data directory (soundsearchd --check, docs/
// operations.md): verifies, with no server running, that every record
// decodes, that the store's lookups and counters agree with its data
// (SoundStore::Check), that every raw vector can be indexed in its space,
// and that each space's index snapshot plus the change log after it holds
// exactly the sounds the store holds; with `repair`, fixes what can be fixed
// and says what it did.
#ifndef SOUNDSEARCH_COLLECTION_CHECK_H_
#define SOUNDSEARCH_COLLECTION_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

struct CollectionCheckReport {
  StoreCheckReport store;  // the store's own findings
  // One line per space: what its index snapshot holds and whether it
  // agrees with the store.
  std::vector<std::string> spaces;
  // Every finding (the store's first), and what repair did.
  std::vector<std::string> problems;
  std::vector<std::string> repairs;
  uint64_t unrepaired = 0;  // problems left
  bool clean() const { return unrepaired == 0; }
};

// Checks options.data_dir with the spaces of options (as the server would
// open it; options.spaces empty means the built-in `dsp` space). The store
// must not be open elsewhere: Unavailable ("lock ...") when a server holds
// it. NotFound when there is no store. With `repair`: the store's repairs
// (SoundStore::Check), sounds whose raw vectors cannot be indexed are
// quarantined, and a snapshot that disagrees with the store, or that the
// next start could not use, is deleted (that start rebuilds the index).
absl::StatusOr<CollectionCheckReport> CheckCollection(
    const CollectionOptions& options, bool repair);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_COLLECTION_CHECK_H_
