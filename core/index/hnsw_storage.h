// The vector storage of an HNSW graph with vectorised distances. Every
// distance HNSW computes, while it builds the graph and while it searches
// it, goes through its storage's DistanceComputer; Debian's FAISS 1.7.3 is
// built for generic x86-64, so that computer scores with a scalar loop
// (fvec_inner_product_ref: a 1M-vector graph took 27 minutes to build here,
// docs/performance.md). This storage is a faiss::IndexFlat (same vectors,
// same snapshot format: FAISS writes and reads it as a plain IndexFlat)
// whose distance computer uses AVX-512 where the CPU has it. Private to core.
//
// Distances equal FAISS's up to float rounding (the sum runs in another
// order); the graph an index builds with it may therefore differ in a few
// edges from one built with FAISS's own storage, as builds on different
// thread counts already do.
#ifndef SOUNDSEARCH_CORE_INDEX_HNSW_STORAGE_H_
#define SOUNDSEARCH_CORE_INDEX_HNSW_STORAGE_H_

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>

namespace soundsearch {

class VectorisedFlatStorage final : public faiss::IndexFlat {
 public:
  VectorisedFlatStorage(idx_t d, faiss::MetricType metric)
      : faiss::IndexFlat(d, metric) {}

  // FAISS's computer on CPUs without AVX-512 or for metrics other than L2
  // and inner product; the vectorised one otherwise. Thread-safety: as
  // FAISS's (one computer per searching thread).
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer()
      const override;
};

// Whether VectorisedFlatStorage has vectorised code for this CPU.
bool VectorisedHnswDistances();

// Moves the vectors of `index`'s storage (an IndexFlat, as in an
// IndexHNSWFlat new or read from a snapshot) into a VectorisedFlatStorage
// that replaces it; nothing when the CPU lacks the instructions or the
// storage is of another type. Not while the index is being searched.
void UseVectorisedStorage(faiss::IndexHNSW& index);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_INDEX_HNSW_STORAGE_H_
