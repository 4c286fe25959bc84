// WordIndex: the word vectors of every space of a collection, in memory and
// in the store (docs/storage.md, "Word vectors"). Private to core; used by
// SoundCollection, which owns it.
//
// Membership (word -> eligible sound ids) is space-independent; each space
// keeps, per word, the mean of the index vectors of the first
// max_sounds_per_word members (lowest ids) and the ids it averaged. A stored
// vector records those ids and the space's projection version, so Load can
// tell a stale one (missed update after a crash, refit) and recompute it.
//
// Thread-safety: the query methods (Get, Similarity, Nearest) are
// thread-safe and may run concurrently with anything. The mutators
// (AddSound, RemoveSound, Load, RecomputeSpace) must be serialised by the
// caller (SoundCollection calls them under its writer lock), and so must
// RetryPending.
#ifndef SOUNDSEARCH_CORE_COLLECTION_WORD_INDEX_H_
#define SOUNDSEARCH_CORE_COLLECTION_WORD_INDEX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/sound_store.h"

namespace soundsearch {

// The index vector of sound `id` in a space; NotFound when the sound has no
// vector there.
using IndexVectorFn =
    std::function<absl::StatusOr<std::vector<float>>(uint64_t id)>;

// A space as the word index sees it.
struct WordSpace {
  std::string name;
  uint64_t projection_version = 0;
  IndexVectorFn vector;
};

// Stored form of one word vector (little-endian):
//   u32 format (1) | u64 projection_version | u32 n | u64 ids[n] |
//   u32 dim | f32 mean[dim] | u32 CRC-32 of everything before.
struct StoredWordVector {
  uint64_t projection_version = 0;
  std::vector<uint64_t> ids;
  std::vector<float> mean;
};
std::string EncodeWordVector(const StoredWordVector& v);
// DataLoss for bytes of another format or a bad CRC.
absl::StatusOr<StoredWordVector> DecodeWordVector(absl::string_view bytes);

class WordIndex {
 public:
  // `store` is borrowed and must outlive the index. `options` must be valid
  // (ValidateWordVectorOptions).
  WordIndex(const WordVectorOptions& options, SoundStore* store);

  // InvalidArgument naming the field.
  static absl::Status ValidateOptions(const WordVectorOptions& options);

  // Memberships only (no vectors): call for every stored sound before Load.
  void AddMembership(const SoundRecord& sound);
  // Loads the space's stored word vectors, recomputes missing or stale ones
  // and removes stored words no sound carries any more.
  absl::Status Load(const WordSpace& space);

  // A committed sound (record.id set): updates memberships and, in every
  // space, the vectors of the words whose first members changed.
  absl::Status AddSound(const SoundRecord& sound,
                        const std::vector<WordSpace>& spaces);
  // A deleted sound (its record as it was).
  absl::Status RemoveSound(const SoundRecord& sound,
                           const std::vector<WordSpace>& spaces);
  // Recomputes every word vector of the space (after a refit).
  absl::Status RecomputeSpace(const WordSpace& space);
  // Writes again the word vectors whose store write failed (queries already
  // see them); OK when nothing is pending any more.
  absl::Status RetryPending(const std::vector<WordSpace>& spaces);
  // Word vectors whose store write failed and waits for RetryPending.
  size_t pending() const;

  // NotFound when no eligible sound carries the word or the space has no
  // vector for it. `word` is normalised here.
  absl::StatusOr<WordVectorInfo> Get(absl::string_view space,
                                     absl::string_view word) const;
  absl::StatusOr<WordPairCosine> Similarity(absl::string_view space,
                                            absl::string_view a,
                                            absl::string_view b) const;
  // The k words of the space most similar to `word` (itself left out),
  // most similar first; ties by word. InvalidArgument for k < 1.
  absl::StatusOr<std::vector<WordNeighbour>> Nearest(absl::string_view space,
                                                     absl::string_view word,
                                                     int k) const;
  // The k words of the space whose vectors have the highest cosine with
  // `vector` (a sound's index vector), most similar first; ties by word.
  // Empty for a space without word vectors. InvalidArgument for k < 0.
  absl::StatusOr<std::vector<WordNeighbour>> NearestToVector(
      absl::string_view space, absl::Span<const float> vector, int k) const;

  // A run of a text query's terms matched to a word of the vocabulary.
  struct TermMatch {
    int first_term = 0;  // index into the terms given to MatchTerms
    int num_terms = 0;
    std::string word;           // the vocabulary's word ("dog bark")
    std::vector<float> vector;  // its vector in the space
    int64_t sounds = 0;         // eligible sounds carrying it
  };
  // Matches `terms` (TextTerms of a query) to the words that have a vector
  // in `space`, left to right: at each term the longest run (up to 4 terms)
  // equal to a word's TermKey wins; among words of one key, the one most
  // sounds carry (ties: the smaller word). Unmatched terms are skipped.
  std::vector<TermMatch> MatchTerms(
      absl::string_view space, const std::vector<std::string>& terms) const;
  // Every word any sound gives, in order.
  std::vector<std::string> Vocabulary() const;

 private:
  struct Entry {
    std::vector<uint64_t> ids;  // averaged
    std::vector<float> mean;
  };
  using SpaceWords = std::map<std::string, Entry>;

  std::vector<uint64_t> FirstMembers(const std::string& word) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Adds `sound` to `word`'s members, keeping by_key_ in step.
  std::set<uint64_t>& AddMember(const std::string& word, uint64_t sound)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetWord(const std::string& word) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Index vectors read during one Update, so that a sound shared by several
  // words is projected once; at most kMaxCachedVectors of them.
  using VectorCache = std::map<uint64_t, std::vector<float>>;
  static constexpr size_t kMaxCachedVectors = 65536;

  // Computes a word's entry in `space` from `ids`; NotFound when none of
  // them has a vector there. When `base` (the word's current entry) averaged
  // a prefix of `ids`, only the sounds after it are read.
  absl::StatusOr<Entry> Compute(const WordSpace& space,
                                const std::vector<uint64_t>& ids,
                                const Entry* base, VectorCache* cache) const;
  // Recomputes `words` in `space` (from their current entries when
  // `incremental`), publishes them and writes them to the store (deleting
  // those without vectors); a failed write leaves them in pending_.
  absl::Status Update(const WordSpace& space,
                      const std::set<std::string>& words, bool incremental);
  absl::StatusOr<Entry> Lookup(absl::string_view space,
                               const std::string& word) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const WordVectorOptions options_;
  SoundStore* const store_;
  mutable absl::Mutex mu_;
  std::map<std::string, std::set<uint64_t>> members_ ABSL_GUARDED_BY(mu_);
  // TermKey(word) -> the member words with that key.
  std::map<std::string, std::set<std::string>> by_key_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, SpaceWords> spaces_ ABSL_GUARDED_BY(mu_);
  // Space -> words whose store write failed.
  std::map<std::string, std::set<std::string>> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_WORD_INDEX_H_
