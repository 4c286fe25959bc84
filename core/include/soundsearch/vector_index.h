// VectorIndex: the nearest-neighbour index of one embedding space, over its
// index vectors, keyed by int64 server ids. Exact search by default;
// approximate kinds (HNSW, IVF) by option. FAISS does the work behind the
// kinds core registers; other libraries may register more (index_kinds.h:
// soundsearch_torch adds "torch_flat"). No FAISS or libtorch type appears
// here.
//
// Score convention: higher is better, for every metric. Ties (equal scores)
// are ordered by ascending id on the FAISS kinds, and a query's hits do not
// depend on the other queries of a SearchBatch call, so a query answers the
// same alone or batched with others (the searches coalesced by the
// collection rely on it).
//   kCosine:       score = cosine similarity in [-1, 1].
//   kInnerProduct: score = inner product <q, x>.
//   kEuclidean:    score = -||q - x||_2 (minus the Euclidean distance, not
//                  squared); the distance is -score.
// min_score filters on that score, so a Euclidean radius r is min_score = -r.
//
// Snapshot format: docs/index.md.
#ifndef SOUNDSEARCH_VECTOR_INDEX_H_
#define SOUNDSEARCH_VECTOR_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/index_options.h"
#include "soundsearch/metric.h"

namespace soundsearch {

struct VectorIndexOptions {
  // Vector length; 1..65536.
  int dim = 100;
  Metric metric = Metric::kCosine;
  // Kind and its parameters (index_options.h).
  IndexOptions index;
};

// Checks every field (ValidateIndexOptions for `index`); InvalidArgument
// naming the offending field.
absl::Status ValidateVectorIndexOptions(const VectorIndexOptions& options);

// One result. `id` is the server id given to Add.
struct SearchHit {
  int64_t id = 0;
  float score = 0;  // see the score convention above
};

// A predicate on server ids (e.g. a metadata filter). It is called from
// search threads, possibly concurrently and many times per query: it must
// be thread-safe and cheap. true = the id may be returned.
using IdPredicate = std::function<bool(int64_t id)>;

struct SearchOptions {
  // Number of hits wanted, >= 1. When fewer ids qualify, all qualifying ids
  // are returned (k may exceed size()).
  int k = 15;
  // Hits with score < min_score are dropped (the list may then be shorter
  // than k). Default: no limit.
  float min_score = -std::numeric_limits<float>::infinity();
  // Ids never returned, for every query of the call (e.g. the query's own
  // id). Borrowed for the duration of the call. Meant to be small.
  absl::Span<const int64_t> exclude_ids;
  // Optional: only ids for which filter(id) is true are returned. Evaluated
  // inside the search (FAISS IDSelector), so k hits come back whenever k ids
  // qualify; on approximate kinds a very selective filter falls back to an
  // exact scan of the stored vectors.
  IdPredicate filter;
  // Bypass the approximate structure: HNSW scans its stored vectors, IVF
  // probes every list, so the answer is exact search's. sq8 / fp16 always
  // scan every code (exhaustive over the quantised vectors; their scores
  // stay approximate). No effect on exact kinds.
  bool exact = false;
};

// What a snapshot reflects, so that a restarted server can replay store
// changes after store_sequence and rebuild when the projection changed.
struct SnapshotMarks {
  uint64_t store_sequence = 0;      // last store sequence included
  uint64_t projection_version = 0;  // version of the fitted PCA/codebook
};

class VectorIndex;

struct LoadedVectorIndex {
  std::unique_ptr<VectorIndex> index;
  SnapshotMarks marks;
};

// Thread-safety: every method may be called concurrently from any thread.
// Searches run in parallel with each other (shared lock). Writers (Add,
// Remove) are serialised among themselves and hold the exclusive lock only
// while they mutate the FAISS structures, so a search waits at most for the
// add/remove itself. Heavy reorganisations (IVF training, HNSW rebuild after
// tombstones) are built off to the side while searches continue and are
// swapped in under a short exclusive section; other writers wait for them.
// To replace a whole index (e.g. after a PCA refit), build a new one with
// Create + Add and publish it in place of the old one (the collection swaps
// a whole view of the space: space + index, atomically).
//
// FAISS uses OpenMP inside a search; set OMP_NUM_THREADS (or
// omp_set_num_threads) to fit the serving thread pool.
class VectorIndex {
 public:
  virtual ~VectorIndex() = default;

  // An empty index of options.index.kind (index_kinds.h). InvalidArgument
  // for invalid options or an unregistered kind.
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Create(
      const VectorIndexOptions& options);

  // Reads a snapshot written by Save. NotFound: no file at `path`.
  // DataLoss: not a snapshot, truncated, checksum mismatch, or FAISS could
  // not read it. FailedPrecondition: a snapshot of other options (format
  // version, dim, metric, kind, hnsw_m, ivf_nlist) than `expected`: the
  // caller should rebuild. InvalidArgument: invalid `expected` or an
  // unregistered kind. Search-time options (ef_search, nprobe, rebuild
  // fraction, train threshold) are taken from `expected`.
  static absl::StatusOr<LoadedVectorIndex> Load(
      const std::string& path, const VectorIndexOptions& expected);

  // The marks of the snapshot at `path`, whatever its kind and options, once
  // its frame is verified (every byte's checksum): NotFound when missing,
  // DataLoss when damaged, FailedPrecondition for another format version.
  static absl::StatusOr<SnapshotMarks> ReadMarks(const std::string& path);

  // Adds ids.size() vectors; vectors is row-major, ids.size() * dim floats.
  // Ids are server ids >= 0 (FAISS reserves -1). An id already present is
  // replaced (its old vector stops being returned). InvalidArgument: size
  // mismatch, a negative id, duplicate ids in the batch, non-finite values,
  // an all-zero vector under kCosine; nothing is added then. Visible to
  // searches that start after it returns. May train (IVF) or rebuild (HNSW)
  // before returning; see the thread-safety note above.
  virtual absl::Status Add(absl::Span<const int64_t> ids,
                           absl::Span<const float> vectors) = 0;

  // Removes the given ids; ids not present are ignored. Returns how many
  // were removed. Never returned by searches that start after it returns.
  // HNSW: may rebuild the graph before returning (tombstone fraction).
  virtual absl::StatusOr<int64_t> Remove(absl::Span<const int64_t> ids) = 0;

  // query: dim floats. Hits sorted by descending score (ties in any order).
  // InvalidArgument: wrong size, k < 1, non-finite values, zero query under
  // kCosine.
  virtual absl::StatusOr<std::vector<SearchHit>> Search(
      absl::Span<const float> query, const SearchOptions& options) const = 0;

  // queries: n * dim floats, n >= 1. result[i] is what Search would return
  // for query i. exclude_per_query is empty or has n ids: id i is left out
  // of query i's hits (the query's own id), in addition to
  // options.exclude_ids.
  virtual absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& options,
      absl::Span<const int64_t> exclude_per_query = {}) const = 0;

  // True when a batch of queries (with this `exact` flag) costs clearly less
  // than the same queries searched one by one, so that coalescing
  // concurrent queries pays: exact float scans (flat, auto below its
  // threshold, HNSW with exact), which the scan kernel (small batches) or
  // FAISS's sgemm answer in about one pass over the vectors. False for
  // graph, inverted-list and quantised searches, which gain nothing from a
  // batch and lose the parallelism of searching on each caller's thread
  // (measured in docs/performance.md). Default false.
  virtual bool PrefersBatches(bool exact) const;

  // True when such a batch is better searched alone on several threads, each
  // scanning its own share of the vectors, than side by side with other
  // batches on one thread each: exact scans too large for the caches, bound
  // by memory bandwidth (docs/performance.md, 1M vectors). The search uses
  // the calling thread's OpenMP thread count. Default false.
  virtual bool PrefersWideBatches(bool exact) const;

  // The index's copy of the vector of `id` (dim floats; under kCosine the
  // L2-normalised vector). NotFound when `id` is not in the index;
  // Unimplemented for kinds that keep no exact copy (sq8, fp16 once
  // trained) or that do not offer it: read the source of truth then.
  virtual absl::StatusOr<std::vector<float>> Vector(int64_t id) const;

  // Writes a snapshot atomically (temp file + fsync + rename + fsync of the
  // directory); `path` either keeps its old content or holds the complete
  // new snapshot. Searches continue meanwhile; writers wait while the bytes
  // are written (not for the fsync).
  virtual absl::Status Save(const std::string& path,
                            const SnapshotMarks& marks) const = 0;

  // Live (searchable) vectors.
  virtual int64_t size() const = 0;
  virtual bool Contains(int64_t id) const = 0;
  int dim() const { return options().dim; }
  virtual const VectorIndexOptions& options() const = 0;
  // Estimated resident bytes: vectors, graph/lists and id maps.
  virtual size_t MemoryBytes() const = 0;
  // HNSW tombstones not yet rebuilt away (0 for other kinds).
  virtual int64_t tombstones() const = 0;
  // false while an IVF index still answers exactly (before training); true
  // for every other kind.
  virtual bool trained() const = 0;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_VECTOR_INDEX_H_
