// SoundCollection: the whole searchable collection of one server: the store
// (source of truth), one Space and one VectorIndex per embedding space, and
// the rules that keep them in agreement across ingest, delete, refit, crash
// and restart. The services (indexer/, server/) talk to this class only.
//
// Data directory layout:
//   <data_dir>/store/            RocksDB (SoundStore)
//   <data_dir>/index/<space>.idx index snapshot per space (docs/index.md)
//
// Consistency rules:
//  - An acknowledged Commit is durable (synced store write) and visible to
//    queries when it returns; a Delete is never returned by a query that
//    starts after it returns.
//  - Indexes are derived: at Open each space loads its snapshot and replays
//    the store's change log after the snapshot's sequence, or rebuilds from
//    the stored raw vectors when the snapshot is missing, corrupt, of other
//    options, of another projection version, or ahead of the store.
//  - A refit fits a new projection off to the side, builds a new index,
//    replays the changes made meanwhile, then swaps projection and index in
//    together; queries are answered throughout.
#ifndef SOUNDSEARCH_SOUND_COLLECTION_H_
#define SOUNDSEARCH_SOUND_COLLECTION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

class SearchObserver;

// How the unfiltered queries that run at the same time on one space are
// gathered into one batched index search (docs/operations.md). A query
// waits at most `window_us` for others to join it, or until `max_batch`
// queries are queued; results are the same as searched alone.
struct SearchBatchingOptions {
  // false: every query searches the index alone, at once.
  bool enabled = true;
  // Longest wait for a batch to fill, in microseconds, [0, 100000]. 0: no
  // wait; queries still share a batch when they queue behind one that is
  // being searched.
  int window_us = 200;
  // Most queries in one index search, [1, 4096].
  int max_batch = 32;
  // Batches of one space searched at the same time, [0, 64]; 0: one per
  // hardware thread.
  int max_in_flight = 0;
  // OpenMP threads one index search (a batch or a lone query) uses, [0,
  // 64]; 0: OpenMP's default (OMP_NUM_THREADS, else every core). Applies to
  // every query's search, coalesced or not; index builds keep OpenMP's
  // default.
  int omp_threads = 1;
};

// OK, or InvalidArgument naming the field ("search_batching.max_batch:
// ...").
absl::Status ValidateSearchBatchingOptions(const SearchBatchingOptions& o);

struct CollectionOptions {
  // Directory holding the store and the index snapshots; created if missing.
  // Required.
  std::string data_dir;
  // Embedding spaces; empty means the built-in `dsp` space alone.
  std::vector<SpaceConfig> spaces;
  // The space used when a query names none; empty means the first space.
  std::string default_space;
  AudioDecoderOptions decoder;
  // Sync the store's write-ahead log before Commit/Delete return. Only bulk
  // imports that can be redone should turn this off.
  bool sync_writes = true;
  // Fit a space automatically once it holds min_fit_items sounds (the
  // Commit that reaches the threshold fits it). Refits after that are
  // explicit (Refit).
  bool auto_fit = true;
  // Write index snapshots when the collection is destroyed.
  bool snapshot_on_close = true;
  // Which words sounds give and how their vectors are averaged
  // (collection_words.h).
  WordVectorOptions words;
  // Coalescing of concurrent queries into batched searches.
  SearchBatchingOptions search_batching;
  // Told of every index search (batch sizes, times); borrowed, may be null,
  // must outlive the collection.
  SearchObserver* search_observer = nullptr;
};

// Caller-supplied fields of a new sound.
struct SoundInput {
  std::string external_id;          // unique when non-empty
  std::string name;
  std::string source;               // file name, manifest path, "upload"
  std::vector<std::string> tags;    // lower-cased and de-duplicated on ingest
  std::vector<std::string> labels;  // class labels, kept as given
};

// A decoded and embedded upload, ready to Commit. Move-only value.
struct PreparedSound {
  SoundRecord record;                        // id 0 until committed
  std::map<std::string, RawEmbedding> raw;   // space name -> raw embedding
  DecodedAudio audio_info;                   // samples cleared
  bool duplicate = false;  // the store already held these bytes (no embedding)
  uint64_t duplicate_id = 0;
  // Seconds spent decoding and embedding (per space), for metrics.
  double decode_seconds = 0;
  std::map<std::string, double> embed_seconds;
};

// One upload for SoundCollection::PrepareBatch; both fields are borrowed for
// the call.
struct PrepareRequest {
  absl::string_view audio;
  const SoundInput* input = nullptr;  // not null
};

struct CommitResult {
  uint64_t id = 0;
  bool duplicate = false;
};

// Metadata filter; every non-empty clause must hold. Tags match a sound's
// tags and its auto-tags (stored lower-cased; auto-tags are lower-cased class
// names such as "computer keyboard" or "inside, small room"); filter tags are
// lower-cased before the exact comparison. Labels compare exactly as given.
struct SoundFilter {
  std::vector<std::string> tags_any;
  std::vector<std::string> tags_all;
  std::vector<std::string> tags_none;
  std::vector<std::string> labels_any;
  std::vector<std::string> labels_all;
  bool empty() const {
    return tags_any.empty() && tags_all.empty() && tags_none.empty() &&
           labels_any.empty() && labels_all.empty();
  }
};

struct QueryOptions {
  std::string space;          // empty: the default space
  int k = 15;                 // >= 1
  bool include_query = false; // by-id queries: return the example itself too
  SoundFilter filter;
  std::optional<float> min_score;
  // Exact search even on an approximate index (HNSW scans its vectors, IVF
  // probes every list): slower, for checking recall or for queries that
  // must not miss.
  bool exact = false;
};

struct QueryHit {
  uint64_t id = 0;
  float score = 0;  // higher is better (cosine similarity by default)
};

struct QueryResult {
  std::string space;
  std::vector<QueryHit> hits;  // best first
  uint64_t collection_size = 0;
  double search_seconds = 0;  // index search, with the wait for a batch
  double embed_seconds = 0;   // decode + embed of an audio example
  double vector_seconds = 0;  // by id: reading the example's vector
};

struct SpaceStatus {
  SpaceConfig config;
  int raw_dim = 0;       // pooled vector length
  int index_dim = 0;     // vector length in the index
  bool fitted = false;
  uint64_t projection_version = 0;  // 0 = not fitted
  uint64_t vectors = 0;             // vectors in the index
  int sample_rate = 0;
};

struct RefitResult {
  std::string space;
  uint64_t projection_version = 0;
  uint64_t items = 0;
  double seconds = 0;
};

// Thread-safety: every method may be called from any thread. Prepare and
// queries run fully in parallel; Commit, Delete and the final swap of a
// refit are serialised among themselves (each holds the writer lock only for
// its store write and index update).
class SoundCollection {
 public:
  // Opens the store and every space, loads or rebuilds the indexes.
  // InvalidArgument for bad options (naming the field), the errors of the
  // store, the space configs and the encoders otherwise.
  static absl::StatusOr<std::unique_ptr<SoundCollection>> Open(
      const CollectionOptions& options);
  // Writes snapshots (when snapshot_on_close) and closes the store.
  ~SoundCollection();

  SoundCollection(const SoundCollection&) = delete;
  SoundCollection& operator=(const SoundCollection&) = delete;

  // Decodes `audio` (any format; borrowed for the call) and embeds it in
  // every space, without taking the writer lock. When the store already holds
  // the same bytes, returns at once with `duplicate` set. Errors: the
  // decoder's (InvalidArgument for bad audio, ResourceExhausted for an
  // oversize upload...), InvalidArgument for a bad tag or id.
  absl::StatusOr<PreparedSound> Prepare(absl::string_view audio,
                                        const SoundInput& input) const;
  // Prepare for several uploads at once: each is checked and decoded alone,
  // then every space embeds all the decoded ones together
  // (Space::EmbedBatch; a torchscript space runs the windows of many short
  // uploads through one forward). One result per upload, in order, equal to
  // Prepare(uploads[i]) (up to float rounding of a batched forward): a bad
  // upload fails alone with Prepare's error. embed_seconds of each is its
  // share (1/n) of the space's batch time. Prepare is PrepareBatch of one.
  // Duplicates within one batch are not detected here (both look new);
  // Commit then stores the second as a duplicate of the first.
  std::vector<absl::StatusOr<PreparedSound>> PrepareBatch(
      absl::Span<const PrepareRequest> uploads) const;
  // Stores the prepared sound (one synced write) and adds it to every index.
  // AlreadyExists when its external id belongs to another sound.
  absl::StatusOr<CommitResult> Commit(PreparedSound prepared);
  // Prepare + Commit.
  absl::StatusOr<CommitResult> Add(absl::string_view audio,
                                   const SoundInput& input);

  // NotFound for an unknown id.
  absl::Status Delete(uint64_t id);

  absl::StatusOr<SoundRecord> Get(uint64_t id) const;
  absl::StatusOr<SoundRecord> GetByExternalId(absl::string_view ext) const;

  // Queries with a sound of the collection; the sound itself is left out
  // unless include_query. NotFound for an unknown id or space,
  // InvalidArgument for k < 1.
  absl::StatusOr<QueryResult> QueryById(uint64_t id,
                                        const QueryOptions& options) const;
  // One query of QueryByIdBatch.
  struct IdQuery {
    uint64_t id = 0;
    QueryOptions options;
  };
  // QueryById for several queries at once; the unfiltered ones of each space
  // are searched together in one batched index search. One result per
  // query, in order, each equal to QueryById of that query.
  std::vector<absl::StatusOr<QueryResult>> QueryByIdBatch(
      absl::Span<const IdQuery> queries) const;
  // Queries with an uploaded example (decoded and embedded in the space).
  absl::StatusOr<QueryResult> QueryByAudio(absl::string_view audio,
                                           const QueryOptions& options) const;

  // Refits `space` on every stored sound and swaps in the new projection and
  // index. NotFound for an unknown space, FailedPrecondition with fewer than
  // 2 sounds.
  absl::StatusOr<RefitResult> Refit(absl::string_view space);

  // Writes every space's index snapshot (atomically, with marks).
  absl::Status SaveSnapshots();

  std::vector<SpaceStatus> Spaces() const;
  const std::string& default_space() const;
  uint64_t size() const;                 // sounds stored
  double total_duration_seconds() const;  // of the sounds stored

  // ---- Words and evaluation (collection_words.h, docs/evaluation.md) ----
  // Word vectors follow every Commit, Delete and Refit before they return;
  // queries see a word's old or new vector, never a mix. Cost, under the
  // writer lock: a Commit reads one vector per space (its words' means are
  // updated in place); a Delete re-reads up to 100 sounds per word of the
  // sound; a Refit re-reads up to 100 sounds per word of the vocabulary
  // (ingest waits meanwhile). Word-vector write failures do not fail the
  // Commit / Delete / Refit; the next Open recomputes what is stale. An empty `space`
  // is the default space; NotFound for an unknown space, and for a word no
  // eligible sound carries (words are normalised: NormaliseWord).
  absl::StatusOr<WordVectorInfo> WordVector(absl::string_view space,
                                            absl::string_view word) const;
  // Cosine of the two word vectors.
  absl::StatusOr<WordPairCosine> WordSimilarity(absl::string_view space,
                                                absl::string_view a,
                                                absl::string_view b) const;
  // The k most similar words (the word left out). InvalidArgument for k < 1.
  absl::StatusOr<std::vector<WordNeighbour>> NearestWords(
      absl::string_view space, absl::string_view word, int k) const;
  // Evaluates retrieval in one space by exact search over its labelled
  // sounds (O(n^2 dim) work on up to hardware-concurrency threads, while
  // queries and ingest go on) and stores the result as the space's latest
  // evaluation. FailedPrecondition with fewer than 2 labelled sounds; NotFound
  // for an unknown space or a missing families / excluded-labels file.
  absl::StatusOr<SpaceEvaluation> Evaluate(const EvaluationRequest& request);
  // The latest stored evaluation (report_json and summary; `report` empty).
  // NotFound when the space was never evaluated.
  absl::StatusOr<SpaceEvaluation> LastEvaluation(absl::string_view space) const;

  class Impl;

 private:
  explicit SoundCollection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SOUND_COLLECTION_H_
