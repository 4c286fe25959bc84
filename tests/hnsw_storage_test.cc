// VectorisedFlatStorage (core/index/hnsw_storage.h): its distance computer
// gives FAISS's IndexFlat distances (within float rounding) for L2 and inner
// product over dimensions that are not whole vectors of lanes; an HNSW graph
// on it finds what one on FAISS's own storage finds; and the storage swap
// keeps the vectors and survives FAISS's snapshot write and read.
#include "index/hnsw_storage.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

TEST(HnswStorageTest, DistancesAreFaissDistances) {
  if (!VectorisedHnswDistances()) {
    GTEST_SKIP() << "this CPU has no AVX-512: the storage keeps FAISS's "
                    "distance computer, which needs no test of its own";
  }
  for (faiss::MetricType metric :
       {faiss::METRIC_L2, faiss::METRIC_INNER_PRODUCT}) {
    for (int d : {1, 7, 16, 31, 32, 33, 100, 144}) {
      SCOPED_TRACE(absl::StrCat("metric ", metric, " d ", d));
      const int64_t n = 50;
      const std::vector<float> x = testing_util::RandomVectors(n, d, 3 + d);
      const std::vector<float> q = testing_util::RandomVectors(1, d, 99);
      faiss::IndexFlat faiss_flat(d, metric);
      VectorisedFlatStorage ours(d, metric);
      faiss_flat.add(n, x.data());
      ours.add(n, x.data());
      std::unique_ptr<faiss::DistanceComputer> want(
          faiss_flat.get_distance_computer());
      std::unique_ptr<faiss::DistanceComputer> got(
          ours.get_distance_computer());
      want->set_query(q.data());
      got->set_query(q.data());
      for (int64_t i = 0; i < n; ++i) {
        const float w = (*want)(i);
        EXPECT_NEAR((*got)(i), w, 1e-5f * (1.0f + std::abs(w))) << "row " << i;
        const float ws = want->symmetric_dis(i, (i + 7) % n);
        EXPECT_NEAR(got->symmetric_dis(i, (i + 7) % n), ws,
                    1e-5f * (1.0f + std::abs(ws)))
            << "row " << i;
      }
    }
  }
}

// What an HNSW graph on the swapped storage finds, and after a snapshot.
TEST(HnswStorageTest, GraphOnVectorisedStorageFindsTheNeighbours) {
  const int d = 24;
  const int64_t n = 3000, nq = 50, k = 10;
  const std::vector<float> x = testing_util::RandomVectors(n, d, 5);
  const std::vector<float> queries = testing_util::RandomVectors(nq, d, 6);
  for (faiss::MetricType metric :
       {faiss::METRIC_L2, faiss::METRIC_INNER_PRODUCT}) {
    SCOPED_TRACE(absl::StrCat("metric ", metric));
    faiss::IndexHNSWFlat index(d, 16, metric);
    UseVectorisedStorage(index);
    EXPECT_EQ(dynamic_cast<VectorisedFlatStorage*>(index.storage) != nullptr,
              VectorisedHnswDistances());
    index.hnsw.efConstruction = 80;
    index.hnsw.efSearch = 64;
    index.add(n, x.data());

    faiss::IndexFlat exact(d, metric);
    exact.add(n, x.data());
    std::vector<float> want_d(nq * k), got_d(nq * k);
    std::vector<faiss::Index::idx_t> want_l(nq * k), got_l(nq * k);
    exact.search(nq, queries.data(), k, want_d.data(), want_l.data());
    index.search(nq, queries.data(), k, got_d.data(), got_l.data());
    int64_t found = 0;
    for (int64_t q = 0; q < nq; ++q) {
      for (int64_t i = 0; i < k; ++i) {
        for (int64_t j = 0; j < k; ++j) {
          found += got_l[q * k + i] == want_l[q * k + j] ? 1 : 0;
        }
      }
    }
    // A graph of 3000 points at efSearch 64 finds almost all of them.
    EXPECT_GE(static_cast<double>(found) / (nq * k), 0.95);

    // FAISS writes the storage as a plain IndexFlat; read back and swapped
    // again, the index answers the same.
    faiss::VectorIOWriter writer;
    faiss::write_index(&index, &writer);
    faiss::VectorIOReader reader;
    reader.data = writer.data;
    std::unique_ptr<faiss::Index> loaded(faiss::read_index(&reader));
    auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(loaded.get());
    ASSERT_NE(hnsw, nullptr);
    UseVectorisedStorage(*hnsw);
    ASSERT_EQ(hnsw->ntotal, n);
    ASSERT_EQ(hnsw->storage->ntotal, n);
    std::vector<float> again_d(nq * k);
    std::vector<faiss::Index::idx_t> again_l(nq * k);
    hnsw->search(nq, queries.data(), k, again_d.data(), again_l.data());
    EXPECT_EQ(again_l, got_l);
    EXPECT_EQ(again_d, got_d);
  }
}

}  // namespace
}  // namespace soundsearch
