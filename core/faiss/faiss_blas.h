// FAISS's choice between its BLAS path and its one-query-at-a-time path for
// exact search. FAISS uses sgemm for a batch of at least
// faiss::distance_compute_blas_threshold queries (20 by default, a value
// chosen for the reference BLAS). With OpenBLAS, a batch of 2 is already
// cheaper per query through sgemm than one by one, and with its AVX2 /
// AVX-512 kernels so is a single query (Debian's FAISS is a generic build
// whose one-query kernels are scalar): docs/performance.md. So the batches
// that the collection coalesces take the BLAS path, except where
// FaissVectorIndex scans the float vectors itself: batches of up to
// kFlatScanMaxBatch (32) queries on one OpenMP thread on CPUs with AVX-512
// take core/index/flat_scan.h, 1.3-2.7x faster than sgemm there. Private to
// core.
#ifndef SOUNDSEARCH_CORE_FAISS_FAISS_BLAS_H_
#define SOUNDSEARCH_CORE_FAISS_FAISS_BLAS_H_

namespace soundsearch {

// The thresholds set with an optimised BLAS: batches of at least this many
// queries go through sgemm (generic OpenBLAS kernels; AVX2 / AVX-512 ones).
inline constexpr int kOptimisedBlasThreshold = 2;
inline constexpr int kVectorKernelBlasThreshold = 1;

// Sets FAISS's process-wide threshold once: kVectorKernelBlasThreshold when
// LoadedBlas() has vector kernels, kOptimisedBlasThreshold when it is
// otherwise optimised, FAISS's default otherwise. Called before the
// first index is created or loaded; later calls do nothing. Thread-safe.
void TuneFaissBlas();

// FAISS's current threshold (for tests and logs).
int FaissBlasThreshold();

// Sets the OpenMP thread count of the calling thread's FAISS calls (the
// OpenMP nthreads ICV is per thread) for the life of the object, then puts
// the previous value back. n <= 0: leaves it alone. Serving threads search
// with 1 (many queries run side by side; OpenMP teams of 2 on a busy
// 2-core machine spin at their barriers and were measured 8x slower,
// docs/performance.md), while the threads that build indexes keep all cores.
class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int n);
  ~ScopedOmpThreads();
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_ = 0;  // 0: nothing to restore
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FAISS_FAISS_BLAS_H_
