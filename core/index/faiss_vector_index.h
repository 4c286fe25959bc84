// FaissVectorIndex: the FAISS implementation of VectorIndex. Private to core;
// every FAISS call goes through CallFaiss (core/faiss/faiss_status.h), the
// one conversion of faiss::FaissException into absl::Status.
//
// Representation ("stages"):
//   kExact: an IndexFlat (flat kind, and IVF kind before training). FAISS
//           labels are positions; labels_[pos] is the server id. Remove moves
//           the last vector into the hole (O(dim)); re-adding overwrites the
//           vector in place.
//   kHnsw:  an IndexHNSWFlat; labels are positions as above. Removed and
//           replaced ids become tombstones (label -1), filtered by an
//           IDSelector during the search; past the rebuild fraction the graph
//           is rebuilt from the live vectors.
//   kIvf:   a trained IndexIVFFlat holding the server ids themselves, with a
//           hash-table direct map so that removal is O(1) per id.
//   kSq:    an IndexScalarQuantizer (8-bit or fp16 codes), positional like
//           kExact (exhaustive scan over the codes; Remove moves the last
//           code into the hole).
// Kinds and their stages: flat = kExact; hnsw = kHnsw; ivf = kExact until
// trained, then kIvf; sq8 = kExact until trained, then kSq; fp16 = kSq;
// auto = kExact below IndexOptions::auto_hnsw_min_vectors, then kHnsw.
//
// Reorganisations (HNSW rebuild past the tombstone fraction, IVF and sq8
// training, auto's switch to HNSW) build a new State from a copy of the live
// vectors. From IndexOptions::background_build_min_vectors live vectors on
// they are built on a background thread: Add and Remove return at once and
// are also logged, the log is applied to the new State before it is swapped
// in, and searches use the old State until then. A failed background build
// leaves the old State serving (correct, only slower) and is retried after
// more writes.
#ifndef SOUNDSEARCH_INDEX_FAISS_VECTOR_INDEX_H_
#define SOUNDSEARCH_INDEX_FAISS_VECTOR_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "soundsearch/index_kinds.h"
#include "soundsearch/vector_index.h"

namespace faiss {
struct Index;
}  // namespace faiss

namespace soundsearch {

// Thread-safety: as VectorIndex (all methods thread-safe).
class FaissVectorIndex final : public VectorIndex {
 public:
  enum class Stage : uint32_t { kExact = 0, kHnsw = 1, kIvf = 2, kSq = 3 };
  // The kinds this class implements, by their registered names; the values
  // are their snapshot codes (docs/index.md; 3 is torch_flat's).
  enum class Kind : uint32_t {
    kFlat = 0,
    kHnsw = 1,
    kIvf = 2,
    kSq8 = 4,
    kFp16 = 5,
    kAuto = 6
  };
  static constexpr char kFlatName[] = "flat";
  static constexpr char kHnswName[] = "hnsw";
  static constexpr char kIvfName[] = "ivf";
  static constexpr char kSq8Name[] = "sq8";
  static constexpr char kFp16Name[] = "fp16";
  static constexpr char kAutoName[] = "auto";

  // The table entries of "flat", "hnsw", "ivf", "sq8", "fp16" and "auto"
  // (index_kinds.h), which the table holds from its start.
  static std::vector<IndexKind> Kinds();

  // options.index.kind is one of the names above.
  static absl::StatusOr<std::unique_ptr<FaissVectorIndex>> Create(
      const VectorIndexOptions& options);
  static absl::StatusOr<LoadedVectorIndex> Load(
      const std::string& path, const VectorIndexOptions& expected);

  ~FaissVectorIndex() override;

  absl::Status Add(absl::Span<const int64_t> ids,
                   absl::Span<const float> vectors) override;
  absl::StatusOr<int64_t> Remove(absl::Span<const int64_t> ids) override;
  absl::StatusOr<std::vector<SearchHit>> Search(
      absl::Span<const float> query,
      const SearchOptions& options) const override;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& options,
      absl::Span<const int64_t> exclude_per_query) const override;
  absl::StatusOr<std::vector<float>> Vector(int64_t id) const override;
  bool PrefersBatches(bool exact) const override;
  bool PrefersWideBatches(bool exact) const override;
  absl::Status Save(const std::string& path,
                    const SnapshotMarks& marks) const override;
  int64_t size() const override;
  bool Contains(int64_t id) const override;
  const VectorIndexOptions& options() const override { return options_; }
  size_t MemoryBytes() const override;
  int64_t tombstones() const override;
  bool trained() const override;

  // For benchmarks and tests: runs `fn` on the FAISS index under the shared
  // lock (writers wait until it returns). Labels are positions for the
  // kExact/kHnsw stages, server ids for kIvf.
  void WithFaissIndex(absl::FunctionRef<void(const faiss::Index&)> fn) const;
  Stage stage() const;
  // For benchmarks and tests: blocks until no background reorganisation is
  // running (returns at once when none is), and says how the last one ended
  // (OK when none has run).
  absl::Status WaitForBackgroundBuild();
  bool background_build_running();
  // For tests: `fn` runs on the background thread after its build and
  // before it takes the writer lock to replay the log and swap (so a test
  // can hold the swap while it writes). Set before the build starts.
  void SetBeforeSwapForTesting(std::function<void()> fn);

 private:
  // Everything a search reads; replaced wholesale by IVF training and HNSW
  // rebuilds.
  struct State {
    State();
    State(State&&) noexcept;
    State& operator=(State&&) noexcept;
    ~State();
    std::unique_ptr<faiss::Index> index;
    Stage stage = Stage::kExact;
    // kExact/kHnsw: position -> server id, -1 for a tombstone.
    std::vector<int64_t> labels;
    // Live server id -> FAISS label (position, or the id itself for kIvf).
    absl::flat_hash_map<int64_t, int64_t> where;
    int64_t tombstones = 0;
  };

  FaissVectorIndex(const VectorIndexOptions& options, State state);
  static Kind KindOf(const VectorIndexOptions& options);

  static absl::StatusOr<State> NewState(const VectorIndexOptions& options,
                                        Stage stage);
  // Builds a fresh state of `stage` holding the given vectors (IVF: trains
  // first). Runs without any lock held.
  absl::StatusOr<State> BuildState(Stage stage, const std::vector<int64_t>& ids,
                                   const std::vector<float>& vectors) const;
  // Copies the live ids and vectors of `state`.
  void CopyLive(const State& state, std::vector<int64_t>* ids,
                std::vector<float>* vectors) const;
  // IVF training / HNSW rebuild when due. Called with write_mu_ held.
  absl::Status MaybeReorganize() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // The background thread's body: builds the new State with no lock held,
  // then, under write_mu_, applies the writes logged meanwhile and swaps it
  // in (or records the failure).
  void BuildInBackground(Stage target, std::vector<int64_t> ids,
                         std::vector<float> vectors);
  // Logs a write for the background build in progress, if any.
  void LogForBuild(bool remove, absl::Span<const int64_t> ids,
                   const float* vectors)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // The three below work on `state`: either state_ (then the caller holds
  // mu_, exclusively for Add/Remove, shared for Search) or a State being
  // built off to the side that no other thread can see.
  absl::Status AddToState(State& state, const std::vector<int64_t>& ids,
                          const float* vectors) const;
  absl::StatusOr<int64_t> RemoveFromState(State& state,
                                          absl::Span<const int64_t> ids) const;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchState(
      const State& state, const float* queries, int64_t n,
      const SearchOptions& options,
      absl::Span<const int64_t> exclude_per_query) const;

  const VectorIndexOptions options_;
  const Kind kind_;
  // Serialises writers (Add, Remove, reorganisations); held across the slow
  // off-to-the-side work so that no write is lost while a new State is built.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // A write made while a background build runs, replayed onto its result.
  struct LoggedWrite {
    bool remove = false;
    std::vector<int64_t> ids;
    std::vector<float> vectors;  // prepared (normalised) vectors of an add
  };
  bool building_ ABSL_GUARDED_BY(write_mu_) = false;
  std::vector<LoggedWrite> build_log_ ABSL_GUARDED_BY(write_mu_);
  absl::Status last_build_status_ ABSL_GUARDED_BY(write_mu_);
  // After a failed background build: writes to wait before trying again.
  int64_t writes_before_retry_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::thread builder_ ABSL_GUARDED_BY(write_mu_);
  std::function<void()> before_swap_for_testing_ ABSL_GUARDED_BY(write_mu_);
  // Shared by searches; exclusive only while a writer mutates state_.
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEX_FAISS_VECTOR_INDEX_H_
