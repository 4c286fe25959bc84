#include "faiss/faiss_blas.h"

#include <faiss/utils/distances.h>

#include <mutex>

#include "soundsearch/blas_info.h"

namespace soundsearch {

void TuneFaissBlas() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (LoadedBlas().optimised) {
      faiss::distance_compute_blas_threshold = kOptimisedBlasThreshold;
    }
  });
}

int FaissBlasThreshold() { return faiss::distance_compute_blas_threshold; }

}  // namespace soundsearch
