// The open state: what SoundCollection::Open otherwise builds by reading
// every sound record (the tag index and the word memberships), saved in one
// file beside the index snapshots (data_dir/index/open_state) whenever they
// are saved, so that a restart reads no per-sound record: Open loads it and
// brings it up to date by reading only the sounds the change log names
// after it (docs/storage.md, "Open state"). Private to core/collection.
//
// File (little-endian): 8-byte magic "SSOPENST" | u32 format (1) |
//   u64 store_sequence | u64 database_sequence | u64 length + options |
//   TagIndex::EncodeTo | WordIndex::EncodeMembersTo | u32 CRC-32C of
//   everything after the magic.
//
// Thread-compatible functions; the indexes they read or fill lock
// themselves.
#ifndef SOUNDSEARCH_CORE_COLLECTION_OPEN_STATE_H_
#define SOUNDSEARCH_CORE_COLLECTION_OPEN_STATE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "collection/tag_index.h"
#include "collection/word_index.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

struct OpenStateMarks {
  // The state reflects at least the store's change log up to this
  // sequence (SoundStore::LastSequence()); the changes after it are to be
  // replayed, which is harmless for those it already reflects.
  uint64_t store_sequence = 0;
  // SoundStore::DatabaseSequence() when the state was written: a store at
  // the same store_sequence whose database sequence moved was written
  // outside the change log since (a repair, a quarantine, a hand edit), and
  // the state is not to be trusted.
  uint64_t database_sequence = 0;
  // What the memberships depend on (OpenStateOptions): a state written
  // under other word options is not used.
  std::string options;
};

// The options the saved memberships depend on, as a string.
std::string OpenStateOptions(const WordVectorOptions& words);

// Writes the state atomically (temp file, fsync, rename). Internal on I/O
// errors; the previous file stays.
absl::Status SaveOpenState(const std::string& path, const OpenStateMarks& marks,
                           const TagIndex& tags, const WordIndex& words);

// A state file read and checked (magic, format, CRC), not yet decoded.
struct OpenStateFile {
  OpenStateMarks marks;
  std::string bytes;  // the whole file
  size_t body = 0;    // offset of the tag index
};
// NotFound when there is no file; DataLoss when it is damaged or of another
// format.
absl::StatusOr<OpenStateFile> ReadOpenState(const std::string& path);
// Fills `tags` and `words` (empty before) from the file; on an error they
// are left empty.
absl::Status DecodeOpenState(const OpenStateFile& file, TagIndex* tags,
                             WordIndex* words);

// What Open does with the state at `path`: reads it, checks its marks
// against `store` and `options` (OpenStateOptions), decodes it into `tags`
// and `words` (empty before), then forgets the sounds the change log names
// after it and reads those the store still holds again (an undecodable one
// goes to *bad). Returns why the state cannot be used ("no open state",
// "open state: checksum mismatch", ...; `tags` and `words` are then left
// empty), or "" when it was; errors reading the store otherwise.
absl::StatusOr<std::string> LoadOpenStateWithTail(
    const std::string& path, const SoundStore& store,
    const std::string& options, TagIndex* tags, WordIndex* words,
    std::map<uint64_t, std::string>* bad);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_OPEN_STATE_H_
