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
//    options, of another projection version, ahead of the store, or older
//    than the change log reaches back.
//  - No single bad record stops Open: a sound whose record does not decode,
//    or whose raw vector cannot be indexed in some space, is quarantined
//    (moved aside in the store, kept, docs/storage.md) and reported in
//    open_report(); the rest is served.
//  - Snapshots are written every snapshot_every_changes changes or
//    snapshot_every_seconds seconds, by a background thread that holds the
//    writer lock only to read the store's sequence; the change log is then
//    truncated behind the oldest snapshot still needed, so a restart after a
//    crash replays at most the changes since the last snapshot.
//  - Error paths keep store and indexes in agreement: a Commit whose index
//    update fails is undone in the store (retried at later writes while the
//    store refuses; no snapshot is written meanwhile, so a restart replays
//    the add); a Delete whose index update fails rebuilds that index; a
//    vector the metric cannot handle (zero under cosine, not finite) is
//    refused by Prepare, before anything is written.
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
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "soundsearch/audio_decoder.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/preview_encoder.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

// How a text query's words are matched to the classes of a class-score
// space (Space::class_names()): kNames compares the query's terms with each
// class's name and synonyms (Jaccard overlap of the terms, the best name);
// kDocuments ranks class documents (names, ontology description and
// Freesound tags) by TF-IDF cosine. Both keep the best max_classes classes,
// weighted by that score.
enum class ClassMatch { kNames, kDocuments };

// The text-query part of the collection's options.
struct TextQueryConfig {
  // AudioSet ontology JSON (audioset_ontology.json, or ontology_crowd.json
  // which adds Freesound tags per class) on local disk, read at Open; the
  // classes of class-score spaces are matched to its entries by name.
  // Empty: class names alone (kDocuments then has names only). NotFound /
  // InvalidArgument at Open for a missing or malformed file.
  std::string ontology_path;
  ClassMatch class_match = ClassMatch::kNames;
  int max_classes = 3;  // [1, 100]
};

// "names" / "documents"; InvalidArgument listing them otherwise.
absl::StatusOr<ClassMatch> ParseClassMatch(absl::string_view name);
const char* ClassMatchName(ClassMatch match);

// Reads the optional "text" object of a server config file (docs/config.md,
// "Text queries"): {"ontology": PATH, "class_match": "names" | "documents",
// "max_classes": N}, every key optional; a relative ontology path is
// resolved against the config file's folder. Defaults when the file has no
// "text" member. NotFound if the file cannot be read; InvalidArgument
// naming the key for a bad value or an unknown key.
absl::StatusOr<TextQueryConfig> LoadTextQueryConfigFile(
    const std::string& path);

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
  // SoundStoreOptions::write_buffer_mb (0: RocksDB's default).
  int store_write_buffer_mb = 0;
  // SoundStoreOptions::memtable_budget_mb (0: no overall bound).
  int store_memtable_budget_mb = 64;
  // Fit a space automatically once it holds min_fit_items sounds (the
  // Commit that reaches the threshold fits it). Refits after that are
  // explicit (Refit).
  bool auto_fit = true;
  // Write index snapshots when the collection is destroyed.
  bool snapshot_on_close = true;
  // Write index snapshots (and truncate the change log behind them) once
  // this many changes were made since the last ones; 0: never on count.
  uint64_t snapshot_every_changes = 10000;
  // ... or once this many seconds passed with at least one change; 0:
  // never on time. Both 0: snapshots only at close and on SaveSnapshots.
  double snapshot_every_seconds = 300;
  // Which words sounds give and how their vectors are averaged
  // (collection_words.h).
  WordVectorOptions words;
  // Text queries: the ontology and the class matching (QueryByText).
  TextQueryConfig text;
  // Coalescing of concurrent queries into batched searches.
  SearchBatchingOptions search_batching;
  // Told of every index search (batch sizes, times); borrowed, may be null,
  // must outlive the collection.
  SearchObserver* search_observer = nullptr;
  // The audio preview kept with each new sound (preview_encoder.h): made
  // at Prepare from the decoded audio of the lowest space rate that MP3
  // carries, stored by Commit, removed by Delete.
  PreviewOptions previews;
};

// Caller-supplied fields of a new sound.
struct SoundInput {
  std::string external_id;  // unique when non-empty
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
  std::string preview;     // MP3 (previews on and a rate MP3 carries), or empty
  bool duplicate = false;  // the store already held these bytes (no embedding)
  uint64_t duplicate_id = 0;
  // Seconds spent decoding and embedding (per space), for metrics.
  double decode_seconds = 0;
  std::map<std::string, double> embed_seconds;
};

// SoundCollection::AddPreview's outcome.
struct PreviewAdded {
  uint64_t id = 0;
  bool skipped = false;  // the sound had a preview already (kept)
  uint64_t bytes = 0;    // the stored preview's size (the kept one if skipped)
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

// A filter clause: the sound carries auto-tag `tag` (lower-cased before
// the comparison) with at least `min_probability`.
struct AutoTagAtLeast {
  std::string tag;
  float min_probability = 0.0f;
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
  // Duration range in seconds, both ends included.
  std::optional<double> min_duration_seconds;
  std::optional<double> max_duration_seconds;
  // Time added (SoundRecord::added_unix_micros): at or after `after`,
  // strictly before `before`.
  std::optional<int64_t> added_after_unix_micros;
  std::optional<int64_t> added_before_unix_micros;
  // Every one of these auto-tags with at least its probability.
  std::vector<AutoTagAtLeast> auto_tags_at_least;
  bool empty() const {
    return tags_any.empty() && tags_all.empty() && tags_none.empty() &&
           labels_any.empty() && labels_all.empty() &&
           !min_duration_seconds.has_value() &&
           !max_duration_seconds.has_value() &&
           !added_after_unix_micros.has_value() &&
           !added_before_unix_micros.has_value() && auto_tags_at_least.empty();
  }
};

// Grouping of ranked results: each group keeps its best-scoring sound
// only. A sound's group is its first label (kLabel) or its first tag, or
// without tags its first auto-tag (kTag); a sound without one is a group of
// its own.
enum class GroupBy { kNone, kLabel, kTag };

// Results skipped plus results wanted (QueryOptions::offset + k) are looked
// for among at most this many candidates of the index when grouping; fewer
// groups than asked for may come back from a collection with very large
// groups.
inline constexpr int kMaxGroupCandidates = 50000;

struct QueryOptions {
  std::string space;  // empty: the default space
  int k = 15;         // >= 1
  // Ranked results skipped before the k returned (paging), >= 0. The
  // services cap offset + k (docs/api.md).
  int offset = 0;
  bool include_query = false;  // by-id queries: return the example itself too
  SoundFilter filter;
  std::optional<float> min_score;
  GroupBy group_by = GroupBy::kNone;
  // Audio examples: decoding ends with DeadlineExceeded past this time
  // (besides the decoder's own timeout).
  absl::Time deadline = absl::InfiniteFuture();
  // Audio examples: the most audio decoded for the query, in seconds, in all
  // of its audio examples, >= 0; 0 means no limit but the decoder's
  // max_duration_seconds per example (which also caps it). An example cut at
  // what is left sets QueryResult::audio_truncated; an audio example with
  // nothing left is InvalidArgument.
  double max_audio_seconds = 0;
  // Exact search even on an approximate index (HNSW scans its vectors, IVF
  // probes every list): slower, for checking recall or for queries that
  // must not miss.
  bool exact = false;
  // Query expansion (soundsearch/neighbourhood.h, docs/api.md) of example
  // queries with the average strategy: each unset field is the space's
  // config "expand"; expand_neighbours 0 turns it off for this query.
  std::optional<int> expand_neighbours;
  std::optional<float> expand_alpha;
};

// A result's score from one source of a merged ranking (text queries: the
// word vectors and the class scores; best_score example queries: the
// positive and the negative examples).
struct SourceScore {
  std::string source;  // "words", "classes", "positive", "negative"
  float score = 0;     // the source's own score (higher is better)
  int rank = 0;        // 1-based rank in the source's list; 0: not ranked
};

struct QueryHit {
  uint64_t id = 0;
  float score = 0;  // higher is better (cosine similarity by default)
  std::vector<SourceScore> sources;  // merged rankings only
};

struct QueryResult {
  std::string space;
  std::vector<QueryHit> hits;  // best first
  uint64_t collection_size = 0;
  double search_seconds = 0;   // index search alone
  double embed_seconds = 0;    // decode + embed of the audio examples
  double audio_seconds = 0;    // decoded duration of the audio examples
  bool audio_truncated = false;  // an audio example was cut
  double vector_seconds = 0;   // by id: reading the example's vector
  bool more = false;           // results follow the page (offset + k)
};

// One example of QueryByExamples or DescribeSound: an uploaded example
// (`audio` not empty: any format the decoder reads, borrowed for the call)
// or a sound of the collection (`id`).
struct QueryExample {
  uint64_t id = 0;
  absl::string_view audio;
};

// How QueryByExamples combines its examples (docs/api.md):
//  kAverage: one search with mean(positives) - w mean(negatives) (the index
//    vectors; w = ExampleQuery::negative_weight, 1 by default; the mean of
//    the positives alone without negatives).
//  kBestScore: a candidate's score is its best score against any positive;
//    candidates that score better against some negative than against every
//    positive rank after all the others, least close to the negatives
//    first (vector engines' best_score recommendation).
enum class ExampleStrategy { kAverage, kBestScore };

struct ExampleQuery {
  std::vector<QueryExample> positive;  // at least one
  std::vector<QueryExample> negative;
  ExampleStrategy strategy = ExampleStrategy::kAverage;
  // kAverage: the weight of the negatives' mean, in (0, 1].
  float negative_weight = 1.0f;
};

struct TextQueryOptions {
  // query.space: the space whose word vectors match the text (empty: the
  // default space); k, offset, filter, min_score (on each source's own
  // scores) and group_by apply to the merged ranking.
  QueryOptions query;
  // The class-score space (empty: the first one that has class names).
  std::string class_space;
  bool use_words = true;
  bool use_classes = true;
  // Spoken content: the spaces whose encoder reads text (the speech
  // encoder, docs/speech.md "Text queries") search the recordings that say
  // the words, each as a source "spoken:<space>".
  bool use_speech = true;
  std::optional<ClassMatch> class_match;  // empty: TextQueryConfig's
  int max_classes = 0;                    // 0: TextQueryConfig's
};

// A run of query words matched to a word of the collection.
struct MatchedWord {
  std::string text;  // the query's words it matched ("dogs")
  std::string word;  // the collection's word ("dog")
  int64_t sounds = 0;
};

struct MatchedClass {
  std::string name;         // as the model names it ("Bark")
  std::string ontology_id;  // "/m/05tny_"; empty without an ontology entry
  float weight = 0;         // in (0, 1], its weight in the query vector
};

struct TextQueryResult {
  QueryResult result;       // result.space: the word space (when used)
  std::string class_space;  // the class-score space used; empty: none
  std::vector<MatchedWord> words;
  std::vector<MatchedClass> classes;   // best first
  std::vector<std::string> unmatched;  // query words no source matched
  // The speech spaces whose spoken content was searched (use_speech).
  std::vector<std::string> speech_spaces;
};

struct ListRequest {
  SoundFilter filter;
  uint64_t after_id = 0;  // sounds with a greater id
  int limit = 100;        // >= 1
};

struct ListResult {
  std::vector<SoundRecord> sounds;  // increasing id
  bool more = false;                // more sounds match after the last one
};

struct DescribeOptions {
  std::string space;        // word vectors (empty: the default space)
  int words = 10;           // nearest words, >= 0
  std::string class_space;  // empty: the first class-score space
  int classes = 10;         // top class scores, >= 0
  // An uploaded example: decoding ends with DeadlineExceeded past this
  // time (besides the decoder's own timeout), as in QueryOptions.
  absl::Time deadline = absl::InfiniteFuture();
};

struct ClassScore {
  std::string name;
  float score = 0;  // the class-score space's pooled score (a probability)
};

struct SoundDescription {
  std::string space;
  std::string class_space;           // empty when the collection has none
  std::vector<WordNeighbour> words;  // by cosine with the sound's vector
  std::vector<ClassScore> classes;   // highest first
  std::vector<AutoTag> auto_tags;
};

struct SpaceStatus {
  SpaceConfig config;
  int raw_dim = 0;       // pooled vector length
  int index_dim = 0;     // vector length in the index
  int classes = 0;       // class-score spaces: Space::class_names().size()
  int classes_in_ontology = 0;  // of them, matched to an ontology entry
  bool fitted = false;
  uint64_t projection_version = 0;  // 0 = not fitted
  uint64_t vectors = 0;             // vectors in the index
  int sample_rate = 0;
};

// What Open found and did; the server logs it and exports the counts.
struct CollectionOpenReport {
  // One line per record this Open quarantined ("sound 17: undecodable sound
  // metadata record: name is not valid UTF-8 (byte 0xE9 at offset 3)").
  std::vector<std::string> quarantined;
  // Space -> why its index was rebuilt from the raw vectors; a space absent
  // here loaded its snapshot and replayed the changes after it.
  std::map<std::string, std::string> rebuilt;
  // Change-log entries replayed after the snapshots, summed over spaces.
  uint64_t replayed_changes = 0;
  // Records in quarantine, all told: this Open's and earlier ones.
  uint64_t quarantine_size = 0;
  // Why Open read every sound record (no usable open state, e.g. "no open
  // state"); empty when it loaded the open state saved with the snapshots
  // and read only the records the change log names after it.
  std::string records_read_because;
  double seconds = 0;  // the whole Open
  // Parts of it: the tag index and word memberships (open state or every
  // record), the indexes (snapshots loaded, change log replayed, or
  // rebuilt), the word vectors (loaded, stale ones recomputed).
  double records_seconds = 0;
  double indexes_seconds = 0;
  double words_seconds = 0;
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

  // NotFound for an unknown id. The delete is durable when it returns OK;
  // an index that fails to drop the sound is rebuilt before it returns
  // (Internal if that fails too; the store's delete stands and queries
  // never return the sound).
  absl::Status Delete(uint64_t id);

  absl::StatusOr<SoundRecord> Get(uint64_t id) const;
  // Get of each id, in order, in one batched read of the store (the records
  // of a page of results; SoundStore::GetSounds).
  std::vector<absl::StatusOr<SoundRecord>> GetMany(
      absl::Span<const uint64_t> ids) const;
  // The sound's audio preview (kPreviewContentType). NotFound when the sound
  // does not exist or has none (added with previews off, or before them).
  absl::StatusOr<std::string> GetPreview(uint64_t id) const;
  // Makes and stores the preview of a sound from its audio given again
  // (`audio`, any format FFmpeg reads; borrowed): for sounds added with
  // previews off or before previews existed. `id` 0: the sound whose content
  // hash is the audio's (its original bytes); otherwise sound `id`, whatever
  // the bytes. Nothing is embedded or logged. A sound that has a preview
  // keeps it (skipped) unless `replace`. NotFound for no such sound;
  // InvalidArgument for empty audio or audio that does not decode;
  // FailedPrecondition when previews are off or no space's sample rate is
  // one MP3 carries.
  absl::StatusOr<PreviewAdded> AddPreview(uint64_t id, absl::string_view audio,
                                          bool replace);
  // How many sounds have a preview and their bytes (store counters).
  PreviewStats GetPreviewStats() const;
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
  // Queries with several examples for and against (ExampleStrategy); every
  // example sound of the collection is left out of the results (the
  // positive ones are kept when options.include_query). QueryById and
  // QueryByAudio are this with one positive example. InvalidArgument
  // without a positive example, for k < 1 or offset < 0, and when the
  // examples cancel out (kAverage: a zero query vector); NotFound for an
  // unknown id or space; the decoder's errors for a bad audio example.
  absl::StatusOr<QueryResult> QueryByExamples(
      const ExampleQuery& query, const QueryOptions& options) const;
  // Queries with text (docs/api.md, "Text queries"): the text's terms
  // (soundsearch/text_terms.h) are matched to the words of options.space
  // (their word vectors' mean is one query) and to the classes of the class
  // space (a class-score vector is the other), and, in every speech space,
  // to the spoken content (use_speech: the words, stop words included, and
  // their dictionary phones embedded as a recording saying them would be,
  // then re-ranked by the space's rerank config); each source is searched
  // in its space and the rankings are merged by reciprocal rank fusion
  // (score = sum over sources of 1 / (60 + rank), over the first
  // max(100, 2 (offset + k + 1)) hits of each); with one source the
  // ranking and score are its own. Each hit lists its per-source scores.
  // InvalidArgument for an empty text (or one of stop words only, when no
  // speech space is searched);
  // NotFound when no source matches any of its words, with the nearest
  // known words in the message; NotFound for an unknown space.
  absl::StatusOr<TextQueryResult> QueryByText(
      absl::string_view text, const TextQueryOptions& options) const;
  // The sounds that pass request.filter, by increasing id, after
  // request.after_id. InvalidArgument for limit < 1.
  absl::StatusOr<ListResult> ListSounds(const ListRequest& request) const;
  // The words nearest a sound (cosine of the sound's index vector in
  // options.space with each word vector there), its top class scores (the
  // class space's pooled vector) and its auto-tags (stored, or for an
  // uploaded example those of the spaces it was embedded in). NotFound for
  // an unknown id or space; the decoder's errors for bad audio.
  absl::StatusOr<SoundDescription> DescribeSound(
      const QueryExample& example, const DescribeOptions& options) const;

  // Refits `space` on every stored sound and swaps in the new projection and
  // index. NotFound for an unknown space, FailedPrecondition with fewer than
  // 2 sounds.
  absl::StatusOr<RefitResult> Refit(absl::string_view space);

  // Writes every space's index snapshot (atomically, with marks), holding
  // the writer lock only to read the store's sequence, then truncates the
  // change log behind the oldest snapshot still needed. FailedPrecondition
  // while a failed Commit's undo is pending or a space's index is out of
  // step (the snapshots would record a state the store does not hold).
  absl::Status SaveSnapshots();

  const CollectionOpenReport& open_report() const;

  // OK while the store can write; the store's Unavailable error (a full
  // disk, an I/O error) while it cannot. Cheap; thread-safe.
  absl::Status WriterHealth() const;
  // Tries to make the store write again (SoundStore::Resume) and then does
  // what waited for it: a pending undo, word vectors whose write failed. OK
  // when the store writes and nothing waits. Call it now and then while
  // WriterHealth() is not OK (the server does, every second).
  absl::Status ResumeWrites();

  std::vector<SpaceStatus> Spaces() const;
  const std::string& default_space() const;
  uint64_t size() const;                  // sounds stored
  double total_duration_seconds() const;  // of the sounds stored

  // ---- Words and evaluation (collection_words.h, docs/evaluation.md) ----
  // Word vectors follow every Commit, Delete and Refit before they return;
  // queries see a word's old or new vector, never a mix. Cost, under the
  // writer lock: a Commit reads one vector per space (its words' means are
  // updated in place); a Delete re-reads up to 100 sounds per word of the
  // sound; a Refit re-reads up to 100 sounds per word of the vocabulary
  // (ingest waits meanwhile). Word-vector write failures do not fail the
  // Commit / Delete / Refit; the next Open recomputes what is stale. An empty
  // `space` is the default space; NotFound for an unknown space, and for a word
  // no eligible sound carries (words are normalised: NormaliseWord).
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
