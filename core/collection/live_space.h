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

#include <cstdint>
#include <functional>
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
  // ahead of the store. `store` and `write_mu` are borrowed and must outlive
  // the LiveSpace. Call before the collection is shared (or under the
  // writer lock). Errors: a stored fitted state that does not fit the
  // config (the message says so), and those of the store and the index.
  static absl::StatusOr<std::unique_ptr<LiveSpace>> Open(
      std::unique_ptr<Space> space, std::string snapshot_path,
      SoundStore* store, absl::Mutex* write_mu);

  LiveSpace(const LiveSpace&) = delete;
  LiveSpace& operator=(const LiveSpace&) = delete;

  const SpaceConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  // The current view; never null.
  std::shared_ptr<const SpaceView> view() const;

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
  // returns the current projection version with 0 items. FailedPrecondition
  // with fewer than 2 stored raw vectors; errors of the store, Fit and the
  // index otherwise (the current view stays).
  absl::StatusOr<RefitResult> Refit(bool only_unfitted,
                                    const SwapHook& on_swap);

  // Writer lock. Writes the current index to the snapshot path with marks
  // {sequence, projection version} and records the mark in the store.
  // `sequence` must be the store's LastSequence().
  absl::Status SaveSnapshot(uint64_t sequence);

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
  absl::Status Load(std::unique_ptr<Space> space);
  // Fills `index` with every stored raw vector, projected by `space`.
  absl::Status Rebuild(const Space& space, VectorIndex& index) const;
  // Applies the store's changes after `after` to the view's index.
  absl::Status Replay(const SpaceView& view, uint64_t after) const;
  void Publish(std::shared_ptr<const SpaceView> view);

  const SpaceConfig config_;
  const std::string snapshot_path_;
  SoundStore* const store_;
  absl::Mutex* const write_mu_;

  std::unique_ptr<SearchCoalescer> coalescer_;  // null: no coalescing
  SearchObserver* observer_ = nullptr;
  int omp_threads_ = 0;  // SearchBatchingOptions::omp_threads; 0: default

  absl::Mutex refit_mu_;  // one refit of this space at a time
  mutable absl::Mutex view_mu_;
  std::shared_ptr<const SpaceView> view_ ABSL_GUARDED_BY(view_mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_LIVE_SPACE_H_
