// An exact top-k scan of a row-major float matrix for a small batch of
// queries: the exact stage of FaissVectorIndex for the batches that the
// search coalescer forms (2-16 queries). FAISS 1.7.3 scores such a batch
// with sgemm over blocks of 1024 database rows and a separate pass of top-k
// selection, which costs 3-4x a single query's pass over the database
// (docs/performance.md, "Exact scan kernel for small batches"). This kernel
// takes 4 database rows at a time (prefetched, then in L1 while the whole
// batch is scored against them), computes 4x4 (rows x queries) dot products
// in registers, compares them with each query's current k-th best score in
// registers and keeps a small heap per query; most tiles have no candidate.
// Private to core.
//
// The score of a (query, row) pair is computed the same way whatever the
// batch and the query's place in it, so a query's candidates do not depend on
// the batch, nor on how many threads share the scan. Thread-safe (no shared
// state).
#ifndef SOUNDSEARCH_CORE_INDEX_FLAT_SCAN_H_
#define SOUNDSEARCH_CORE_INDEX_FLAT_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <functional>

namespace soundsearch {

enum class FlatScanMetric {
  kInnerProduct,  // larger is better
  kL2,            // squared Euclidean distance, smaller is better
};

// The instruction sets the kernel has code for, slowest first.
enum class FlatScanIsa { kPortable, kAvx512 };

// The fastest FlatScanIsa this CPU runs.
FlatScanIsa BestFlatScanIsa();

// Whether the kernel has vectorised code for this CPU (when false, FAISS's
// own path is at least as fast and callers keep it).
bool FlatScanAccelerated();

// Largest batch for which callers use the kernel (the coalescer's default
// max_batch): at 100k x 100-d, one thread, the kernel took 0.85x FAISS's
// sgemm path's time at 32 queries and 0.95x at 64, and FAISS's time per
// query keeps falling with the batch (docs/performance.md).
inline constexpr int64_t kFlatScanMaxBatch = 32;

// Fewest database rows a thread of one scan takes: a scan of n rows runs on
// min(threads, n / this) threads (at least one). Splitting pays where one
// pass over the rows is bound by memory bandwidth rather than arithmetic
// (docs/performance.md: 1M x 100-d floats, 400 MB, more than this machine's
// L3 share).
inline constexpr int64_t kFlatScanMinRowsPerThread = int64_t{1} << 17;

// Rows accepted by the scan; an empty function accepts all. Called only for
// rows whose score would enter a query's current top k (so it may be slow).
using FlatScanRowFilter = std::function<bool(int64_t row)>;

// For each of the nq queries (nq x dim floats, row-major) finds the k best of
// the n database rows (n x dim floats, row-major) that `filter` accepts, and
// writes them best first to distances[q * k ...] and rows[q * k ...] as
// FAISS's IndexFlat::search does: the inner product (kInnerProduct) or the
// squared L2 distance (kL2); when fewer than k rows qualify, the remaining
// slots get row -1 (and distance -inf for kInnerProduct, +inf for kL2).
// Equal scores: the row seen first (lower index) is kept. Requires dim >= 1,
// k >= 1, nq >= 0, n >= 0. `isa` must be supported by the CPU (tests pass
// each one; callers leave it to BestFlatScanIsa()). `threads` >= 1: the
// calling thread and up to threads - 1 others scan contiguous ranges of rows
// (see kFlatScanMinRowsPerThread), whose top k are merged; the results are
// those of one thread. `filter` may then be called from several threads at
// once.
void FlatScan(FlatScanMetric metric, const float* database, int64_t n,
              size_t dim, const float* queries, int64_t nq, int64_t k,
              const FlatScanRowFilter& filter, float* distances, int64_t* rows,
              FlatScanIsa isa = BestFlatScanIsa(), int threads = 1);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_INDEX_FLAT_SCAN_H_
