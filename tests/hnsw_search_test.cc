// SearchHnsw (core/index/hnsw_search.h) gives faiss::IndexHNSW::search's
// answers bit for bit: the same labels and distances in the same order, for
// L2 and inner product, FAISS's storage and the vectorised one, queue sizes
// below and above k, with a selector, with the relative-distance check off,
// for a batch, and on an empty graph.
#include "index/hnsw_search.h"

#include <faiss/IndexHNSW.h>
#include <faiss/impl/IDSelector.h>

#include <cstdint>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "index/hnsw_storage.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

// Keeps ids not divisible by 3.
struct NotThirds final : faiss::IDSelector {
  bool is_member(faiss::Index::idx_t id) const override { return id % 3 != 0; }
};

void ExpectSameAsFaiss(const faiss::IndexHNSW& index, const float* queries,
                       int64_t nq, int64_t k,
                       const faiss::SearchParametersHNSW& params) {
  ASSERT_TRUE(CanSearchHnsw(index));
  std::vector<float> want_d(nq * k), got_d(nq * k);
  std::vector<faiss::Index::idx_t> want_l(nq * k), got_l(nq * k);
  index.search(nq, queries, k, want_d.data(), want_l.data(), &params);
  SearchHnsw(index, nq, queries, k, params, got_d.data(), got_l.data());
  int64_t found = 0;
  for (int64_t i = 0; i < nq * k; ++i) {
    EXPECT_EQ(got_l[i], want_l[i]) << "query " << i / k << " rank " << i % k;
    if (want_l[i] >= 0) {
      EXPECT_EQ(got_d[i], want_d[i]) << "query " << i / k << " rank " << i % k;
      ++found;
    }
  }
  EXPECT_GT(found, 0);
}

TEST(HnswSearchTest, SameAnswersAsFaiss) {
  const int d = 24;
  const int64_t n = 3000;
  const int64_t nq = 40;
  const std::vector<float> x = testing_util::RandomVectors(n, d, 5);
  const std::vector<float> q = testing_util::RandomVectors(nq, d, 77);
  for (faiss::MetricType metric :
       {faiss::METRIC_L2, faiss::METRIC_INNER_PRODUCT}) {
    for (bool vectorised : {false, true}) {
      SCOPED_TRACE(absl::StrCat("metric ", metric,
                                vectorised ? " vectorised" : " faiss"));
      faiss::IndexHNSWFlat index(d, 8, metric);
      index.hnsw.efConstruction = 40;
      if (vectorised) UseVectorisedStorage(index);
      index.add(n, x.data());
      for (int queue : {8, 64}) {
        index.hnsw.efSearch = queue;  // sizes the queue (FAISS 1.7.3)
        for (int ef : {10, 64}) {
          for (int64_t k : {1, 15, 20}) {
            SCOPED_TRACE(absl::StrCat("queue ", queue, " ef ", ef, " k ", k));
            faiss::SearchParametersHNSW params;
            params.efSearch = ef;
            ExpectSameAsFaiss(index, q.data(), nq, k, params);
            NotThirds not_thirds;
            params.sel = &not_thirds;
            ExpectSameAsFaiss(index, q.data(), nq, k, params);
            params.sel = nullptr;
            params.check_relative_distance = false;
            ExpectSameAsFaiss(index, q.data(), nq, k, params);
          }
        }
      }
      // One query at a time (the serving path) as in a batch.
      faiss::SearchParametersHNSW params;
      params.efSearch = 32;
      for (int64_t i = 0; i < 5; ++i) {
        ExpectSameAsFaiss(index, q.data() + i * d, 1, 15, params);
      }
    }
  }
}

TEST(HnswSearchTest, EmptyGraphFindsNothing) {
  faiss::IndexHNSWFlat index(4, 8, faiss::METRIC_INNER_PRODUCT);
  ASSERT_TRUE(CanSearchHnsw(index));
  const std::vector<float> q = {1, 0, 0, 0};
  std::vector<float> dist(3, 7);
  std::vector<faiss::Index::idx_t> labels(3, 7);
  faiss::SearchParametersHNSW params;
  SearchHnsw(index, 1, q.data(), 3, params, dist.data(), labels.data());
  for (faiss::Index::idx_t l : labels) EXPECT_EQ(l, -1);
}

}  // namespace
}  // namespace soundsearch
