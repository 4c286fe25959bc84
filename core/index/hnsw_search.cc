#include "index/hnsw_search.h"

#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/HNSW.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/utils/Heap.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

namespace soundsearch {
namespace {

using StorageId = faiss::HNSW::storage_idx_t;

// This thread's visited marks: a faiss::VisitedTable kept across queries and
// indexes (advance() makes every earlier mark stale), replaced by a larger
// one when an index outgrows it.
faiss::VisitedTable& ThreadVisitedTable(size_t n) {
  thread_local std::unique_ptr<faiss::VisitedTable> table;
  if (table == nullptr || table->visited.size() < n) {
    table = std::make_unique<faiss::VisitedTable>(static_cast<int>(n));
  }
  return *table;
}

// One query's search: FAISS 1.7.3's HNSW::search (upper_beam 1, bounded
// queue) with greedy_update_nearest and search_from_candidates, the
// neighbours of a node prefetched before their distances are taken.
class QuerySearch {
 public:
  QuerySearch(const faiss::IndexHNSW& index, faiss::DistanceComputer& dis,
              bool negate, const faiss::SearchParametersHNSW& params)
      : hnsw_(index.hnsw),
        dis_(dis),
        negate_(negate),
        params_(params),
        codes_(
            dynamic_cast<const faiss::IndexFlat&>(*index.storage).codes.data()),
        code_size_(
            dynamic_cast<const faiss::IndexFlat&>(*index.storage).code_size),
        visited_(ThreadVisitedTable(static_cast<size_t>(index.ntotal))) {
    pending_.reserve(static_cast<size_t>(hnsw_.nb_neighbors(0)));  // 2 M
  }

  // D and I: a k-slot max-heap, already heapified; on return it holds the
  // hits found (FAISS's distances: smaller is closer).
  void Run(const float* query, int64_t k, float* D, faiss::Index::idx_t* I) {
    dis_.set_query(query);
    if (hnsw_.entry_point == -1) return;
    StorageId nearest = hnsw_.entry_point;
    float d_nearest = Distance(nearest);
    for (int level = hnsw_.max_level; level >= 1; --level) {
      GreedyUpdateNearest(level, &nearest, &d_nearest);
    }
    const int ef = std::max(hnsw_.efSearch, static_cast<int>(k));
    faiss::HNSW::MinimaxHeap candidates(ef);
    candidates.push(nearest, d_nearest);
    SearchFromCandidates(k, D, I, &candidates);
    visited_.advance();
  }

 private:
  float Distance(StorageId i) {
    const float d = dis_(i);
    return negate_ ? -d : d;
  }

  void Prefetch(StorageId i) const {
    const uint8_t* v = codes_ + static_cast<size_t>(i) * code_size_;
    for (size_t line = 0; line < code_size_; line += 64) {
      __builtin_prefetch(v + line, 0, 3);
    }
  }

  // Gathers the neighbours of `node` on `level` into pending_ (all of them,
  // or the unvisited ones, which it marks), prefetching their vectors.
  void Gather(StorageId node, int level, bool unvisited_only) {
    pending_.clear();
    size_t begin, end;
    hnsw_.neighbor_range(node, level, &begin, &end);
    for (size_t j = begin; j < end; ++j) {
      const StorageId v = hnsw_.neighbors[j];
      if (v < 0) break;
      if (unvisited_only) {
        if (visited_.get(v)) continue;
        visited_.set(v);
      }
      Prefetch(v);
      pending_.push_back(v);
    }
  }

  void GreedyUpdateNearest(int level, StorageId* nearest, float* d_nearest) {
    for (;;) {
      const StorageId previous = *nearest;
      Gather(*nearest, level, /*unvisited_only=*/false);
      for (StorageId v : pending_) {
        const float d = Distance(v);
        if (d < *d_nearest) {
          *nearest = v;
          *d_nearest = d;
        }
      }
      if (*nearest == previous) return;
    }
  }

  void Offer(int64_t k, int* nres, float* D, faiss::Index::idx_t* I, float d,
             StorageId v) const {
    if (params_.sel != nullptr && !params_.sel->is_member(v)) return;
    if (*nres < k) {
      faiss::maxheap_push(++*nres, D, I, d,
                          static_cast<faiss::Index::idx_t>(v));
    } else if (d < D[0]) {
      faiss::maxheap_replace_top(*nres, D, I, d,
                                 static_cast<faiss::Index::idx_t>(v));
    }
  }

  void SearchFromCandidates(int64_t k, float* D, faiss::Index::idx_t* I,
                            faiss::HNSW::MinimaxHeap* candidates) {
    int nres = 0;
    for (int i = 0; i < candidates->size(); ++i) {
      const StorageId v = candidates->ids[i];
      Offer(k, &nres, D, I, candidates->dis[i], v);
      visited_.set(v);
    }
    int steps = 0;
    while (candidates->size() > 0) {
      float d0 = 0;
      const StorageId v0 = candidates->pop_min(&d0);
      if (params_.check_relative_distance &&
          candidates->count_below(d0) >= params_.efSearch) {
        break;
      }
      Gather(v0, 0, /*unvisited_only=*/true);
      for (StorageId v : pending_) {
        const float d = Distance(v);
        Offer(k, &nres, D, I, d, v);
        candidates->push(v, d);
      }
      ++steps;
      if (!params_.check_relative_distance && steps > params_.efSearch) break;
    }
  }

  const faiss::HNSW& hnsw_;
  faiss::DistanceComputer& dis_;
  const bool negate_;
  const faiss::SearchParametersHNSW& params_;
  const uint8_t* const codes_;
  const size_t code_size_;
  faiss::VisitedTable& visited_;
  std::vector<StorageId> pending_;
};

}  // namespace

bool CanSearchHnsw(const faiss::IndexHNSW& index) {
  const auto* flat = dynamic_cast<const faiss::IndexFlat*>(index.storage);
  return flat != nullptr && index.hnsw.upper_beam == 1 &&
         index.hnsw.search_bounded_queue &&
         (flat->metric_type == faiss::METRIC_L2 ||
          flat->metric_type == faiss::METRIC_INNER_PRODUCT);
}

void SearchHnsw(const faiss::IndexHNSW& index, int64_t n, const float* queries,
                int64_t k, const faiss::SearchParametersHNSW& params,
                float* distances, faiss::Index::idx_t* labels) {
  // IndexHNSW searches an inner-product storage by its negated scores.
  const bool similarity =
      index.storage->metric_type == faiss::METRIC_INNER_PRODUCT;
#pragma omp parallel if (n > 1)
  {
    std::unique_ptr<faiss::DistanceComputer> dis(
        index.storage->get_distance_computer());
    QuerySearch search(index, *dis, similarity, params);
#pragma omp for
    for (int64_t q = 0; q < n; ++q) {
      float* D = distances + q * k;
      faiss::Index::idx_t* I = labels + q * k;
      faiss::maxheap_heapify(k, D, I);
      search.Run(queries + q * index.d, k, D, I);
      faiss::maxheap_reorder(k, D, I);
    }
  }
  if (similarity) {
    for (int64_t i = 0; i < n * k; ++i) distances[i] = -distances[i];
  }
}

}  // namespace soundsearch
