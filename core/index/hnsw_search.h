// Search of an HNSW graph with float storage, the answers of FAISS 1.7.3's
// faiss::IndexHNSW::search (the same greedy descent of the upper levels, the
// same bounded candidate queue on level 0, the same stopping rule, the same
// distances from the storage's own distance computer, in the same order), in
// less time at a million vectors. Private to core.
//
// Two changes, neither of which alters what is computed:
// - The vectors of a node's unvisited neighbours are prefetched together
//   before their distances are computed one by one. FAISS computes each as
//   soon as it reaches it, so every distance of a graph larger than the
//   caches waits for its own memory read.
// - The visited marks are a table kept per thread and reused from query to
//   query; FAISS allocates and clears one of ntotal bytes per search call,
//   which is every query on the serving path.
#ifndef SOUNDSEARCH_CORE_INDEX_HNSW_SEARCH_H_
#define SOUNDSEARCH_CORE_INDEX_HNSW_SEARCH_H_

#include <faiss/IndexHNSW.h>

#include <cstdint>

namespace soundsearch {

// Whether SearchHnsw can search `index`: upper_beam 1, the bounded queue, and
// a faiss::IndexFlat storage (every HNSW kind of this project); otherwise
// search it with FAISS.
bool CanSearchHnsw(const faiss::IndexHNSW& index);

// As index.search(n, queries, k, distances, labels, &params) (`params` gives
// efSearch, check_relative_distance and the selector; hnsw.efSearch sizes the
// queue, as in FAISS 1.7.3): row-major n x k outputs, -1 labels past the
// hits found, inner products as similarities. Queries run on this thread's
// OpenMP threads when n > 1. Requires CanSearchHnsw(index); thread-safe for
// concurrent calls on an index that is not being changed.
void SearchHnsw(const faiss::IndexHNSW& index, int64_t n, const float* queries,
                int64_t k, const faiss::SearchParametersHNSW& params,
                float* distances, faiss::Index::idx_t* labels);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_INDEX_HNSW_SEARCH_H_
