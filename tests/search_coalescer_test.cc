// SearchCoalescer: concurrent queries on one index are answered by batched
// index searches whose results equal the one-at-a-time answers, exclusions
// and min_score per query, the batch cap, a lone query, bad queries failing
// alone; and the batched exact search goes through BLAS (sgemm), the path
// that an optimised BLAS makes cheap, or FlatScan for small batches on
// AVX-512 CPUs.
#include "collection/search_coalescer.h"

#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "faiss/faiss_blas.h"
#include "gtest/gtest.h"
#include "index/flat_scan.h"
#include "soundsearch/blas_info.h"
#include "soundsearch/search_observer.h"
#include "soundsearch/vector_index.h"
#include "vector_index_test_util.h"

// Counts the calls FAISS makes to sgemm_ (its BLAS path), then forwards to
// the real one. FAISS is a static library linked into this test, so its
// calls bind to this definition.
namespace {
std::atomic<int> sgemm_calls{0};
}  // namespace
extern "C" int sgemm_(const char* transa, const char* transb, const int* m,
                      const int* n, const int* k, const float* alpha,
                      const float* a, const int* lda, const float* b,
                      const int* ldb, const float* beta, float* c,
                      const int* ldc) {
  using Fn =
      int (*)(const char*, const char*, const int*, const int*, const int*,
              const float*, const float*, const int*, const float*, const int*,
              const float*, float*, const int*);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "sgemm_"));
  sgemm_calls++;
  return real(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

namespace soundsearch {
namespace {

using testing_util::ClusteredVectors;

constexpr int kDim = 64;
constexpr int kN = 4000;

class Recorder final : public SearchObserver {
 public:
  void OnIndexSearch(absl::string_view space, int queries, double) override {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(space, "test");
    sizes_.push_back(queries);
  }
  std::vector<int> sizes() const {
    absl::MutexLock lock(&mu_);
    return sizes_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<int> sizes_;
};

std::unique_ptr<VectorIndex> MakeIndex(const std::string& kind, Metric metric,
                                       const std::vector<float>& vectors) {
  VectorIndexOptions options;
  options.dim = kDim;
  options.metric = metric;
  options.index.kind = kind;
  options.index.hnsw_m = 16;
  options.index.hnsw_ef_construction = 40;
  options.index.sq_train_min_vectors = 500;
  auto index = VectorIndex::Create(options);
  EXPECT_TRUE(index.ok()) << index.status();
  std::vector<int64_t> ids(kN);
  for (int i = 0; i < kN; ++i) ids[i] = 10 + 3 * i;
  EXPECT_TRUE((*index)->Add(ids, vectors).ok());
  return std::move(index).value();
}

struct Case {
  std::string kind;
  Metric metric;
};

class CoalescerTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    vectors_ = ClusteredVectors(kN, kDim, 40, 0.3f, 7);
    index_ = MakeIndex(GetParam().kind, GetParam().metric, vectors_);
    // Queries: stored vectors (excluding their own id, as a query by id
    // does) and perturbed ones with a min_score.
    for (int q = 0; q < kQueries; ++q) {
      const int row = (q * 97) % kN;
      std::vector<float> v(vectors_.begin() + row * kDim,
                           vectors_.begin() + (row + 1) * kDim);
      if (q % 2 == 1) v[q % kDim] += 0.05f;
      query_vectors_.push_back(std::move(v));
    }
    for (int q = 0; q < kQueries; ++q) {
      CoalescedQuery query;
      query.vector = query_vectors_[q];
      query.k = 15;
      if (q % 2 == 0) query.exclude = 10 + 3 * ((q * 97) % kN);
      if (q % 3 == 1) query.exact = GetParam().kind == "hnsw";
      queries_.push_back(query);
    }
    // min_score: between the 7th and 8th hit of the query alone.
    for (int q = 1; q < kQueries; q += 4) {
      auto alone = BatchSearch(*index_, {&queries_[q], 1});
      ASSERT_TRUE(alone[0].ok());
      queries_[q].min_score = ((*alone[0])[6].score + (*alone[0])[7].score) / 2;
    }
  }

  // Every query alone, one at a time.
  std::vector<std::vector<SearchHit>> Alone() const {
    std::vector<std::vector<SearchHit>> out;
    for (const CoalescedQuery& q : queries_) {
      auto r = BatchSearch(*index_, {&q, 1});
      EXPECT_TRUE(r[0].ok()) << r[0].status();
      out.push_back(*r[0]);
    }
    return out;
  }

  // Every query through `coalescer`, from `threads` threads at once, each
  // thread taking every threads-th query; repeated `rounds` times.
  std::vector<std::vector<SearchHit>> Together(SearchCoalescer& coalescer,
                                               int threads, int rounds) {
    std::vector<std::vector<SearchHit>> out(queries_.size());
    for (int round = 0; round < rounds; ++round) {
      std::vector<std::thread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          for (size_t q = t; q < queries_.size(); q += threads) {
            auto r = coalescer.Search(*index_, {&queries_[q], 1});
            EXPECT_EQ(r.size(), 1u);
            ASSERT_TRUE(r[0].ok()) << r[0].status();
            out[q] = *r[0];
          }
        });
      }
      for (auto& w : workers) w.join();
    }
    return out;
  }

  static constexpr int kQueries = 96;
  std::vector<float> vectors_;
  std::unique_ptr<VectorIndex> index_;
  std::vector<std::vector<float>> query_vectors_;
  std::vector<CoalescedQuery> queries_;
};

void ExpectIdentical(const std::vector<std::vector<SearchHit>>& got,
                     const std::vector<std::vector<SearchHit>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t q = 0; q < got.size(); ++q) {
    ASSERT_EQ(got[q].size(), want[q].size()) << "query " << q;
    for (size_t i = 0; i < got[q].size(); ++i) {
      EXPECT_EQ(got[q][i].id, want[q][i].id) << "query " << q << " rank " << i;
      EXPECT_EQ(got[q][i].score, want[q][i].score)
          << "query " << q << " rank " << i;
    }
  }
}

TEST_P(CoalescerTest, ConcurrentQueriesAreBatchedAndAnswerAsAlone) {
  const auto alone = Alone();
  for (size_t q = 0; q < queries_.size(); ++q) {
    if (queries_[q].exclude.has_value()) {
      for (const SearchHit& h : alone[q]) EXPECT_NE(h.id, *queries_[q].exclude);
      EXPECT_EQ(alone[q].size(), 15u);
    }
    for (const SearchHit& h : alone[q]) {
      EXPECT_GE(h.score, queries_[q].min_score);
    }
  }
  Recorder recorder;
  SearchBatchingOptions options;
  options.window_us = 20000;  // long, so that batches surely form
  options.max_batch = 8;
  SearchCoalescer coalescer("test", options, &recorder);
  ExpectIdentical(Together(coalescer, 8, 2), alone);

  int batched = 0, largest = 0, total = 0;
  for (int size : recorder.sizes()) {
    if (size > 1) ++batched;
    largest = std::max(largest, size);
    total += size;
  }
  EXPECT_EQ(total, 2 * kQueries);
  EXPECT_GT(batched, 0) << "no search was coalesced";
  EXPECT_LE(largest, options.max_batch);
}

TEST_P(CoalescerTest, SeveralQueriesOfOneCallAreOneBatch) {
  Recorder recorder;
  SearchBatchingOptions options;
  options.window_us = 0;
  options.max_batch = 64;
  SearchCoalescer coalescer("test", options, &recorder);
  // Same k and exact flag: one group.
  std::vector<CoalescedQuery> same;
  for (const CoalescedQuery& q : queries_) {
    if (!q.exact) same.push_back(q);
  }
  auto results = coalescer.Search(*index_, same);
  ASSERT_EQ(results.size(), same.size());
  for (size_t i = 0; i < same.size(); ++i) {
    auto alone = BatchSearch(*index_, {&same[i], 1});
    ASSERT_TRUE(results[i].ok());
    ExpectIdentical({*results[i]}, {*alone[0]});
  }
  // Batches of at most 64, in queue order.
  ASSERT_EQ(recorder.sizes().size(), (same.size() + 63) / 64);
  EXPECT_EQ(recorder.sizes()[0], std::min<int>(64, same.size()));
}

INSTANTIATE_TEST_SUITE_P(Kinds, CoalescerTest,
                         ::testing::Values(Case{"flat", Metric::kCosine},
                                           Case{"flat", Metric::kEuclidean},
                                           Case{"flat", Metric::kInnerProduct},
                                           Case{"hnsw", Metric::kCosine},
                                           Case{"sq8", Metric::kCosine},
                                           Case{"fp16", Metric::kEuclidean}),
                         [](const auto& info) {
                           return info.param.kind + "_" +
                                  std::to_string(
                                      static_cast<int>(info.param.metric));
                         });

TEST(SearchCoalescer, LoneQueryIsAnsweredAlone) {
  const auto vectors = ClusteredVectors(kN, kDim, 40, 0.3f, 3);
  auto index = MakeIndex("flat", Metric::kCosine, vectors);
  Recorder recorder;
  SearchBatchingOptions options;
  options.window_us = 1000;
  SearchCoalescer coalescer("test", options, &recorder);
  CoalescedQuery q;
  q.vector = absl::MakeConstSpan(vectors).subspan(0, kDim);
  q.k = 5;
  auto r = coalescer.Search(*index, {&q, 1});
  ASSERT_TRUE(r[0].ok());
  EXPECT_EQ(r[0]->size(), 5u);
  EXPECT_EQ((*r[0])[0].id, 10);  // itself: not excluded
  EXPECT_EQ(recorder.sizes(), std::vector<int>{1});
}

TEST(SearchCoalescer, BadQueryFailsAloneInItsBatch) {
  const auto vectors = ClusteredVectors(kN, kDim, 40, 0.3f, 3);
  auto index = MakeIndex("flat", Metric::kCosine, vectors);
  SearchBatchingOptions options;
  SearchCoalescer coalescer("test", options, nullptr);
  std::vector<float> zero(kDim, 0.0f), short_vector(kDim - 1, 1.0f);
  std::vector<CoalescedQuery> queries(4);
  for (auto& q : queries) {
    q.vector = absl::MakeConstSpan(vectors).subspan(kDim, kDim);
    q.k = 3;
  }
  queries[1].vector = zero;          // zero under cosine: InvalidArgument
  queries[2].vector = short_vector;  // wrong size
  auto r = coalescer.Search(*index, queries);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[0].ok());
  EXPECT_EQ(r[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r[2].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(r[3].ok());
  EXPECT_EQ(r[3]->size(), 3u);
}

TEST(SearchBatchingOptions, Validation) {
  SearchBatchingOptions o;
  EXPECT_TRUE(ValidateSearchBatchingOptions(o).ok());
  o.max_batch = 0;
  EXPECT_NE(ValidateSearchBatchingOptions(o).message().find("max_batch"),
            std::string::npos);
  o = {};
  o.window_us = -1;
  EXPECT_NE(ValidateSearchBatchingOptions(o).message().find("window_us"),
            std::string::npos);
  o = {};
  o.max_in_flight = 0;  // one per hardware thread
  EXPECT_TRUE(ValidateSearchBatchingOptions(o).ok());
  o.max_in_flight = -1;
  EXPECT_FALSE(ValidateSearchBatchingOptions(o).ok());
  o = {};
  o.omp_threads = 65;
  EXPECT_NE(ValidateSearchBatchingOptions(o).message().find("omp_threads"),
            std::string::npos);
}

// An index that prefers wide batches (VectorIndex::PrefersWideBatches, as a
// FaissVectorIndex of over 2 x kFlatScanMinRowsPerThread rows does) and
// records, for each batched search, its OpenMP thread count and how many
// searches ran at once.
class WideIndex final : public testing_util::ForwardingVectorIndex {
 public:
  using ForwardingVectorIndex::ForwardingVectorIndex;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& o,
      absl::Span<const int64_t> exclude) const override {
    const int now = ++running_;
    {
      absl::MutexLock lock(&mu_);
      most_at_once_ = std::max(most_at_once_, now);
      threads_.push_back(omp_get_max_threads());
    }
    // Long enough for the other callers to queue behind this search.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    auto result = ForwardingVectorIndex::SearchBatch(queries, o, exclude);
    --running_;
    return result;
  }
  bool PrefersBatches(bool) const override { return true; }
  bool PrefersWideBatches(bool) const override { return true; }

  int most_at_once() const {
    absl::MutexLock lock(&mu_);
    return most_at_once_;
  }
  std::vector<int> threads() const {
    absl::MutexLock lock(&mu_);
    return threads_;
  }

 private:
  mutable std::atomic<int> running_{0};
  mutable absl::Mutex mu_;
  mutable int most_at_once_ ABSL_GUARDED_BY(mu_) = 0;
  mutable std::vector<int> threads_ ABSL_GUARDED_BY(mu_);
};

// A batch that its index prefers to search wide takes every slot: with
// max_in_flight 3 no two searches overlap, each runs on 3 OpenMP threads
// (3 slots x omp_threads 1), and the answers are those of queries alone.
TEST(SearchCoalescer, WideBatchesRunAloneOnEverySlotsThreads) {
  const auto vectors = ClusteredVectors(kN, kDim, 40, 0.3f, 9);
  WideIndex index(MakeIndex("flat", Metric::kCosine, vectors));
  SearchBatchingOptions options;
  options.max_in_flight = 3;
  options.omp_threads = 1;
  SearchCoalescer coalescer("test", options, nullptr);
  constexpr int kCallers = 6, kEach = 5;
  std::vector<std::vector<CoalescedResult>> got(kCallers);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      ScopedOmpThreads one(1);  // the serving path's setting
      for (int i = 0; i < kEach; ++i) {
        CoalescedQuery q;
        q.vector =
            absl::MakeConstSpan(vectors).subspan((c * kEach + i) * kDim, kDim);
        auto r = coalescer.Search(index, {&q, 1});
        got[c].push_back(std::move(r[0]));
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(index.most_at_once(), 1);
  ASSERT_FALSE(index.threads().empty());
  for (int t : index.threads()) EXPECT_EQ(t, 3);
  for (int c = 0; c < kCallers; ++c) {
    for (int i = 0; i < kEach; ++i) {
      CoalescedQuery q;
      q.vector =
          absl::MakeConstSpan(vectors).subspan((c * kEach + i) * kDim, kDim);
      auto alone = BatchSearch(index, {&q, 1});
      ASSERT_TRUE(got[c][i].ok());
      ASSERT_TRUE(alone[0].ok());
      ExpectIdentical({*got[c][i]}, {*alone[0]});
    }
  }
}

// The batched path: with OpenBLAS (scripts/setup) FAISS searches a batch of
// two or more queries through sgemm (a lone query too with OpenBLAS's AVX2 /
// AVX-512 kernels; with its generic ones a lone query takes FAISS's
// one-by-one kernels). On a CPU with AVX-512 and one OpenMP thread (this
// test's), batches of up to kFlatScanMaxBatch queries take FlatScan
// (core/index/flat_scan.h) instead and larger ones sgemm. A coalesced batch
// therefore calls sgemm exactly when it does not take the kernel.
TEST(BatchedSearch, GoesThroughBlas) {
  const BlasInfo& blas = LoadedBlas();
  EXPECT_TRUE(blas.optimised)
      << "this process loaded " << blas.Describe()
      << "; scripts/setup installs OpenBLAS (libopenblas0-openmp) and selects "
         "it with update-alternatives";
  const auto vectors = ClusteredVectors(kN, kDim, 40, 0.3f, 5);
  auto index = MakeIndex("flat", Metric::kCosine, vectors);
  if (blas.optimised) {
    EXPECT_EQ(FaissBlasThreshold(), blas.vector_kernels
                                        ? kVectorKernelBlasThreshold
                                        : kOptimisedBlasThreshold);
  }
  const bool kernel = FlatScanAccelerated();
  auto make_queries = [&](int n) {
    std::vector<CoalescedQuery> queries(n);
    for (size_t i = 0; i < queries.size(); ++i) {
      queries[i].vector = absl::MakeConstSpan(vectors).subspan(i * kDim, kDim);
    }
    return queries;
  };
  std::vector<CoalescedQuery> queries =
      make_queries(std::max(2, FaissBlasThreshold()));
  const int before_one = sgemm_calls.load();
  auto one = BatchSearch(*index, {&queries[0], 1});
  ASSERT_TRUE(one[0].ok());
  if (FaissBlasThreshold() > 1 || kernel) {
    EXPECT_EQ(sgemm_calls.load(), before_one);
  }
  SearchBatchingOptions options;
  options.max_batch = kFlatScanMaxBatch + 1;  // one batch, either way
  SearchCoalescer coalescer("test", options, nullptr);
  int before = sgemm_calls.load();
  auto batch = coalescer.Search(*index, queries);
  for (const auto& r : batch) ASSERT_TRUE(r.ok());
  if (kernel) {
    EXPECT_EQ(sgemm_calls.load(), before) << "the batch did not take FlatScan";
  } else {
    EXPECT_GT(sgemm_calls.load(), before) << "the batch did not use sgemm";
  }
  ExpectIdentical({*batch[0]}, {*one[0]});

  // Above the kernel's batch size: sgemm.
  std::vector<CoalescedQuery> many = make_queries(kFlatScanMaxBatch + 1);
  before = sgemm_calls.load();
  auto large = coalescer.Search(*index, many);
  for (const auto& r : large) ASSERT_TRUE(r.ok());
  EXPECT_GT(sgemm_calls.load(), before) << "the batch did not use sgemm";
  ExpectIdentical({*large[0]}, {*one[0]});
}

}  // namespace
}  // namespace soundsearch
