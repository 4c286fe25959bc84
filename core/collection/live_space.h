// LiveSpace: the runtime of one space of a SoundCollection. It holds the
// space's config, snapshot path and refit lock, and its current view (an
// immutable Space and the index built under that Space's projection,
// published together); it loads (snapshot + replay, or rebuild), replays,
// refits, searches, evaluates and saves its snapshot. Private to core:
// SoundCollection composes one per space and keeps what is collection-wide
// (store, decoder, tag and word indexes, the writer lock, ingest and delete).
//
// The writer lock (`write_mu`, owned by the collection, given to Open)
// serialises the collection's store writes with the index updates that
// follow them, so that every index reflects exactly the store's change log
// up to LastSequence() whenever the lock is free. Methods marked "Writer
// lock" must be called with it held; Refit takes it itself, for its final
// swap only.
//
// Thread-safety: view(), the query methods (StoredVector, Search,
// WordSpaceOf, Status, LastEvaluation) and Evaluate may run concurrently
// with anything. A caller takes view() once per query and uses that view
// throughout, so that its vector and the index it searches belong to the same
// projection.
#ifndef SOUNDSEARCH_CORE_COLLECTION_LIVE_SPACE_H_
#define SOUNDSEARCH_CORE_COLLECTION_LIVE_SPACE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "collection/search_coalescer.h"
#include "collection/tag_index.h"
#include "collection/word_index.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/raw_embedding.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {

// One space's searchable state: an immutable Space (config, shared encoder,
// fitted state) and the index built with that Space's projection. Published
// whole and never replaced in part: a refit publishes a new view. The index
// takes Add / Remove under the writer lock.
struct SpaceView {
  std::shared_ptr<const Space> space;
  std::shared_ptr<VectorIndex> index;
  uint64_t projection_version = 0;  // store model version; 0 = unfitted
};

// Sound id -> why its raw vector cannot be indexed in a space (it does not
// decode, is of the wrong size, or projects to a vector the metric cannot
// rank: not finite, or zero under cosine). Such sounds are left out of the
// index; the collection quarantines them.
using UnusableSounds = std::map<uint64_t, std::string>;

// What Open found on the way.
struct LiveSpaceLoad {
  UnusableSounds unusable;
  // Empty when the snapshot was loaded and replayed; otherwise why the index
  // was rebuilt from the raw vectors ("no snapshot", "snapshot of another
  // projection", "change log truncated past the snapshot", ...).
  std::string rebuilt_because;
  // The replay met a change-log entry that does not decode (the index was
  // rebuilt instead; the collection quarantines the entry).
  bool undecodable_log_entry = false;
};

class LiveSpace {
 public:
  // Called by Refit under the writer lock, right after the new view is
  // published.
  using SwapHook = std::function<void(std::shared_ptr<const SpaceView>)>;

  // `space`: the unfitted space built from its config; its encoder is shared
  // by every later view, so it is created once per space and process.
  // Adopts the fitted state stored for the space (if any), then loads the
  // index snapshot at `snapshot_path` and replays the store's changes after
  // it, or rebuilds from the stored raw vectors when the snapshot is
  // missing, corrupt, of other options, of another projection version or
  // ahead of the store, or when the change log no longer reaches back to
  // it. Raw vectors that cannot be indexed are left out and listed in
  // load->unusable (never an error). `store` and `write_mu` are borrowed
  // and must outlive the LiveSpace. Call before the collection is shared
  // (or under the writer lock). Errors: a stored fitted state that does not
  // fit the config (the message says so), and I/O errors of the store and
  // the index.
  static absl::StatusOr<std::unique_ptr<LiveSpace>> Open(
      std::unique_ptr<Space> space, std::string snapshot_path,
      SoundStore* store, absl::Mutex* write_mu, LiveSpaceLoad* load);

  LiveSpace(const LiveSpace&) = delete;
  LiveSpace& operator=(const LiveSpace&) = delete;

  const SpaceConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  // The current view; never null.
  std::shared_ptr<const SpaceView> view() const;

  // OK when `raw` projects, under `view`, to a vector the index can hold
  // (finite; not zero under cosine); InvalidArgument saying why otherwise.
  // Prepare checks every upload with it, so that such a vector is refused
  // before anything is written.
  absl::Status CheckUsable(const SpaceView& view,
                           const RawEmbedding& raw) const;

  // Writer lock. Projects `raw` under the current view and adds it to its
  // index as sound `id` (replacing a vector already there).
  absl::Status Add(uint64_t id, const RawEmbedding& raw);
  // Writer lock. Removes sound `id` from the current index (absent: no-op).
  absl::Status Remove(uint64_t id);

  // Refits the space on every stored raw vector, off to the side: fits a new
  // Space from the current one (same encoder) and builds its index while
  // queries and ingest go on; then, under the writer lock, stores the fitted
  // state (the store's model version becomes the projection version),
  // replays the changes made meanwhile, publishes the new view and calls
  // `on_swap` with it (may be empty). One refit of this space at a time.
  // When `only_unfitted` and the space is already fitted, does nothing and
  // returns the current projection version with 0 items. Raw vectors that
  // cannot be indexed under the new projection are left out and added to
  // *unusable (may be null). While it runs, the change log after its start
  // is pinned (LogNeededAfter). FailedPrecondition with fewer than 2 stored
  // raw vectors; errors of the store, Fit and the index otherwise (the
  // current view stays).
  absl::StatusOr<RefitResult> Refit(bool only_unfitted, const SwapHook& on_swap,
                                    UnusableSounds* unusable = nullptr);

  // Rebuilds the index under the current projection, off to the side like a
  // refit (no fit), replays the changes made meanwhile and swaps it in;
  // clears diverged(). For an index that an error left out of step with the
  // store.
  absl::Status Reindex(UnusableSounds* unusable = nullptr);

  // An index update failed after the store changed: the index may hold a
  // vector the store does not (or lack one it holds). SaveSnapshot refuses
  // until Reindex succeeds (a restart then replays or rebuilds from the
  // store).
  void MarkDiverged() { diverged_.store(true); }
  bool diverged() const { return diverged_.load(); }

  // Writes the current index to the snapshot path with marks {sequence,
  // projection version} and records the mark in the store. `sequence` must
  // be a store sequence that the index reflected at some moment up to now
  // (the collection reads LastSequence() under the writer lock, then calls
  // this without it: changes after `sequence` that the snapshot happens to
  // hold are replayed again at load, which is harmless). Snapshots of one
  // space are written one at a time. FailedPrecondition while diverged().
  absl::Status SaveSnapshot(uint64_t sequence);
  // The change-log entries this space still needs: those after the
  // returned sequence (its snapshot's mark, or the start of a refit in
  // progress, whichever is lower); nullopt when it needs none (no snapshot
  // and no refit: its next load rebuilds from the raw vectors).
  std::optional<uint64_t> LogNeededAfter() const;

  // The index vector of sound `id` under `view`: its stored raw vector,
  // projected. NotFound when the sound has no raw vector in this space;
  // DataLoss for an undecodable one.
  absl::StatusOr<std::vector<float>> StoredVector(const SpaceView& view,
                                                  uint64_t id) const;
  // The query vector of sound `id` under `view`: the index's own copy when
  // it keeps one (no store read), else StoredVector. Equal to StoredVector
  // up to the index's normalisation (cosine), which search applies anyway.
  absl::StatusOr<std::vector<float>> QueryVector(const SpaceView& view,
                                                 uint64_t id) const;

  // Coalesce unfiltered searches by `options` (SearchBatchingOptions) and
  // report index searches to `observer` (may be null; borrowed). Call once,
  // after Open and before the space is shared. Without it every search runs
  // alone.
  void SetSearchBatching(const SearchBatchingOptions& options,
                         SearchObserver* observer);

  // Searches `view`'s index with `vector` (from view.space) for options.k
  // hits; `exclude` is left out; when `allowed` is not null only its ids are
  // returned. options.space is not read. Unfiltered searches of an index
  // that prefers batches (VectorIndex::PrefersBatches: exact float scans) go
  // through the coalescer (SetSearchBatching): concurrent ones on the same
  // view share one batched index search; the hits are the same as alone.
  absl::StatusOr<QueryResult> Search(
      const SpaceView& view, absl::Span<const float> vector,
      const QueryOptions& options, std::optional<uint64_t> exclude,
      std::shared_ptr<const IdSet> allowed) const;

  // One query of SearchMany; the fields are borrowed for the call.
  struct SpaceQuery {
    absl::Span<const float> vector;
    const QueryOptions* options = nullptr;  // not null
    std::optional<uint64_t> exclude;
    std::shared_ptr<const IdSet> allowed;  // null: no filter
  };
  // Search for several queries at once (a BatchQueryByExample): the
  // unfiltered ones go to the index together, as one coalesced group. One
  // result per query, in order, each equal to Search of that query alone.
  std::vector<absl::StatusOr<QueryResult>> SearchMany(
      const SpaceView& view, absl::Span<const SpaceQuery> queries) const;

  // The word index's view of the space, reading vectors through `view`.
  WordSpace WordSpaceOf(std::shared_ptr<const SpaceView> view) const;
  SpaceStatus Status() const;

  // Evaluates retrieval by exact search over the space's labelled sounds
  // under the current view (EvaluateStoredSpace) and stores the result as
  // the space's latest evaluation (SoundStore::PutEvaluation).
  absl::StatusOr<SpaceEvaluation> Evaluate(const EvaluationRequest& request);
  // The latest stored evaluation. A space evaluated before evaluations had
  // their own slot has it as the model "eval_report": that is read when the
  // own slot is empty. NotFound when the space was never evaluated.
  absl::StatusOr<SpaceEvaluation> LastEvaluation() const;

 private:
  LiveSpace(SpaceConfig config, std::string snapshot_path, SoundStore* store,
            absl::Mutex* write_mu);

  // Loads the stored fitted state and the index (see Open).
  absl::Status Load(std::unique_ptr<Space> space, LiveSpaceLoad* load);
  // Fills `index` with every stored raw vector, projected by `space`; those
  // that cannot be indexed go to *unusable.
  absl::Status Rebuild(const Space& space, VectorIndex& index,
                       UnusableSounds* unusable) const;
  // Applies the store's changes after `after` to the view's index; an added
  // sound whose vector cannot be indexed goes to *unusable.
  absl::Status Replay(const SpaceView& view, uint64_t after,
                      UnusableSounds* unusable) const;
  void Publish(std::shared_ptr<const SpaceView> view);
  // Pins the change log after `after` while a refit or reindex runs.
  void PinLog(std::optional<uint64_t> after);

  const SpaceConfig config_;
  const std::string snapshot_path_;
  SoundStore* const store_;
  absl::Mutex* const write_mu_;

  std::unique_ptr<SearchCoalescer> coalescer_;  // null: no coalescing
  SearchObserver* observer_ = nullptr;
  int omp_threads_ = 0;  // SearchBatchingOptions::omp_threads; 0: default

  absl::Mutex refit_mu_;     // one refit (or reindex) of this space at a time
  absl::Mutex snapshot_mu_;  // one snapshot writer at a time
  mutable absl::Mutex view_mu_;
  std::shared_ptr<const SpaceView> view_ ABSL_GUARDED_BY(view_mu_);
  std::atomic<bool> diverged_{false};
  mutable absl::Mutex log_mu_;
  // The mark of the last snapshot written (or found at load), if any, and
  // its projection version.
  std::optional<uint64_t> snapshot_sequence_ ABSL_GUARDED_BY(log_mu_);
  uint64_t snapshot_projection_ ABSL_GUARDED_BY(log_mu_) = 0;
  // Set while a refit or reindex needs the changes after it.
  std::optional<uint64_t> log_pin_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_LIVE_SPACE_H_
