// FAISS's choice between its BLAS path and its one-query-at-a-time path for
// exact search. FAISS uses sgemm for a batch of at least
// faiss::distance_compute_blas_threshold queries (20 by default, a value
// chosen for the reference BLAS). With OpenBLAS, a batch of 2 is already
// cheaper per query through sgemm than one by one (docs/performance.md), so
// the batches that the collection coalesces take the BLAS path. Private to
// core.
#ifndef SOUNDSEARCH_CORE_FAISS_FAISS_BLAS_H_
#define SOUNDSEARCH_CORE_FAISS_FAISS_BLAS_H_

namespace soundsearch {

// The threshold set with an optimised BLAS: batches of at least this many
// queries go through sgemm.
inline constexpr int kOptimisedBlasThreshold = 2;

// Sets FAISS's process-wide threshold once: kOptimisedBlasThreshold when
// LoadedBlas() is optimised, FAISS's default otherwise. Called before the
// first index is created or loaded; later calls do nothing. Thread-safe.
void TuneFaissBlas();

// FAISS's current threshold (for tests and logs).
int FaissBlasThreshold();

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FAISS_FAISS_BLAS_H_
