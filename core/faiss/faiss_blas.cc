#include "faiss/faiss_blas.h"

#include <faiss/utils/distances.h>
#include <omp.h>

#include <mutex>

#include "soundsearch/blas_info.h"

namespace soundsearch {

void TuneFaissBlas() {
  static std::once_flag once;
  std::call_once(once, [] {
    const BlasInfo& blas = LoadedBlas();
    if (blas.vector_kernels) {
      faiss::distance_compute_blas_threshold = kVectorKernelBlasThreshold;
    } else if (blas.optimised) {
      faiss::distance_compute_blas_threshold = kOptimisedBlasThreshold;
    }
  });
}

int FaissBlasThreshold() { return faiss::distance_compute_blas_threshold; }

ScopedOmpThreads::ScopedOmpThreads(int n) {
  if (n <= 0) return;
  previous_ = omp_get_max_threads();
  omp_set_num_threads(n);
}

ScopedOmpThreads::~ScopedOmpThreads() {
  if (previous_ > 0) omp_set_num_threads(previous_);
}

}  // namespace soundsearch
