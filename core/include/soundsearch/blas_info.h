// Which BLAS library this process loaded. FAISS (exact search, k-means, PCA)
// and libtorch call the system's libblas.so.3, which Debian resolves through
// update-alternatives: the reference BLAS (libblas3) or OpenBLAS
// (libopenblas0-openmp, selected by scripts/setup). Batched exact search is
// ten times faster with OpenBLAS (docs/performance.md).
#ifndef SOUNDSEARCH_BLAS_INFO_H_
#define SOUNDSEARCH_BLAS_INFO_H_

#include <string>

namespace soundsearch {

struct BlasInfo {
  // "OpenBLAS", "reference" (Netlib libblas3) or "unknown".
  std::string vendor;
  // OpenBLAS's own configuration line ("OpenBLAS 0.3.21 DYNAMIC_ARCH
  // NO_AFFINITY SkylakeX MAX_THREADS=64"); empty for other vendors.
  std::string config;
  // OpenBLAS's threading: "openmp", "pthread", "sequential"; empty for
  // other vendors.
  std::string threading;
  // OpenBLAS's kernel family for this CPU (openblas_get_corename():
  // "Haswell", "SkylakeX", "Zen", or "Prescott" for the generic SSE3
  // fallback on a CPU it does not recognise); empty for other vendors.
  std::string core;
  // Resolved path of the library that provides sgemm_ (links followed),
  // e.g. /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3.
  std::string library;
  // True for an optimised BLAS (OpenBLAS).
  bool optimised = false;
  // True when OpenBLAS runs AVX2 or AVX-512 kernels (core Haswell, Zen,
  // SkylakeX, Cooperlake, SapphireRapids): then even one query is faster
  // through sgemm than through FAISS's one-query kernels.
  bool vector_kernels = false;

  // One line for logs and GetServerInfo: "OpenBLAS (openmp) OpenBLAS 0.3.21
  // ... [/usr/lib/.../libblas.so.3]".
  std::string Describe() const;
};

// The BLAS of this process, found once (dladdr of sgemm_, OpenBLAS's
// openblas_get_config); later calls return the same value. Thread-safe.
const BlasInfo& LoadedBlas();

}  // namespace soundsearch

#endif  // SOUNDSEARCH_BLAS_INFO_H_
