// VectorIndex: exact search against a brute-force reference, exclusions,
// filters, min score, k beyond the size, batches, replacement, deletion for
// every kind, IVF training policy, options validation.
#include "soundsearch/vector_index.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

using testing_util::BruteForce;
using testing_util::ClusteredVectors;
using testing_util::RandomVectors;
using testing_util::SparseIds;

constexpr int kDim = 32;

// Same ids in the same order with the same scores, except that ids whose
// reference scores tie (within float rounding) may come in either order.
void ExpectSameHits(const std::vector<SearchHit>& got,
                    const std::vector<SearchHit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const float tol = 1e-4f * std::max(1.0f, std::abs(want[i].score));
    EXPECT_NEAR(got[i].score, want[i].score, tol) << "rank " << i;
    if (got[i].id == want[i].id) continue;
    bool tied = false;
    for (size_t j = 0; j < want.size(); ++j) {
      if (want[j].id == got[i].id) {
        tied = std::abs(want[j].score - want[i].score) <= tol;
        break;
      }
    }
    EXPECT_TRUE(tied) << "rank " << i << ": got id " << got[i].id << ", want "
                      << want[i].id;
  }
}

std::unique_ptr<VectorIndex> MakeIndex(const VectorIndexOptions& options) {
  auto index = VectorIndex::Create(options);
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(index).value();
}

// --- Exact search, one fixture per metric
// --------------------------------------
class ExactSearchTest : public ::testing::TestWithParam<Metric> {
 protected:
  void SetUp() override {
    VectorIndexOptions options;
    options.dim = kDim;
    options.metric = GetParam();
    index_ = MakeIndex(options);
    ids_ = SparseIds(kN, 7919, 12345);  // sparse, arbitrary server ids
    vectors_ = RandomVectors(kN, kDim, 1);
    ASSERT_TRUE(index_->Add(ids_, vectors_).ok());
    queries_ = RandomVectors(kQueries, kDim, 2);
  }
  std::vector<SearchHit> Reference(int q, const SearchOptions& o) const {
    return BruteForce(GetParam(), kDim, ids_, vectors_,
                      queries_.data() + q * kDim, o);
  }
  absl::Span<const float> Query(int q) const {
    return absl::MakeConstSpan(queries_).subspan(q * kDim, kDim);
  }

  static constexpr int kN = 2000;
  static constexpr int kQueries = 20;
  std::unique_ptr<VectorIndex> index_;
  std::vector<int64_t> ids_;
  std::vector<float> vectors_;
  std::vector<float> queries_;
};

TEST_P(ExactSearchTest, EqualsBruteForce) {
  EXPECT_EQ(index_->size(), kN);
  EXPECT_EQ(index_->dim(), kDim);
  SearchOptions o;
  o.k = 25;
  for (int q = 0; q < kQueries; ++q) {
    auto hits = index_->Search(Query(q), o);
    ASSERT_TRUE(hits.ok()) << hits.status();
    ExpectSameHits(*hits, Reference(q, o));
  }
}

TEST_P(ExactSearchTest, ExcludedIdsNeverReturned) {
  SearchOptions plain;
  plain.k = 10;
  auto before = index_->Search(Query(0), plain);
  ASSERT_TRUE(before.ok());
  // Exclude the best three and an id that is not in the index.
  std::vector<int64_t> excluded = {(*before)[0].id, (*before)[1].id,
                                   (*before)[2].id, 5};
  SearchOptions o = plain;
  o.exclude_ids = excluded;
  auto hits = index_->Search(Query(0), o);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 10u);
  ExpectSameHits(*hits, Reference(0, o));
  for (const SearchHit& h : *hits) {
    EXPECT_EQ(std::count(excluded.begin(), excluded.end(), h.id), 0);
  }
}

TEST_P(ExactSearchTest, QueryByIndexedVectorLeavesItselfOut) {
  // The QbE case: the query is an indexed sound; its own id is excluded.
  SearchOptions o;
  o.k = 5;
  std::vector<int64_t> self = {ids_[17]};
  auto with_self =
      index_->Search(absl::MakeConstSpan(vectors_).subspan(17 * kDim, kDim), o);
  ASSERT_TRUE(with_self.ok());
  if (GetParam() != Metric::kInnerProduct) {  // under MIPS another may win
    EXPECT_EQ((*with_self)[0].id, ids_[17]);
  }
  o.exclude_ids = self;
  auto hits =
      index_->Search(absl::MakeConstSpan(vectors_).subspan(17 * kDim, kDim), o);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 5u);
  for (const SearchHit& h : *hits) EXPECT_NE(h.id, ids_[17]);
}

TEST_P(ExactSearchTest, FilterKeepsOnlyAcceptedIdsAndStillReturnsK) {
  SearchOptions o;
  o.k = 30;
  o.filter = [](int64_t id) { return id % 3 == 0; };
  for (int q = 0; q < 5; ++q) {
    auto hits = index_->Search(Query(q), o);
    ASSERT_TRUE(hits.ok());
    EXPECT_EQ(hits->size(), 30u);
    for (const SearchHit& h : *hits) EXPECT_EQ(h.id % 3, 0);
    ExpectSameHits(*hits, Reference(q, o));
  }
  // An id-set filter that admits two ids: exactly those come back.
  absl::flat_hash_set<int64_t> allowed = {ids_[3], ids_[1500]};
  o.filter = [&allowed](int64_t id) { return allowed.contains(id); };
  auto hits = index_->Search(Query(0), o);
  ASSERT_TRUE(hits.ok());
  ExpectSameHits(*hits, Reference(0, o));
  EXPECT_EQ(hits->size(), 2u);
}

TEST_P(ExactSearchTest, MinScoreDropsWeakHits) {
  SearchOptions plain;
  plain.k = 50;
  auto all = index_->Search(Query(1), plain);
  ASSERT_TRUE(all.ok());
  SearchOptions o = plain;
  o.min_score = (*all)[20].score;  // keeps the first 21 (no ties expected)
  auto hits = index_->Search(Query(1), o);
  ASSERT_TRUE(hits.ok());
  ExpectSameHits(*hits, Reference(1, o));
  EXPECT_EQ(hits->size(), 21u);
  for (const SearchHit& h : *hits) EXPECT_GE(h.score, o.min_score);
}

TEST_P(ExactSearchTest, KLargerThanIndexReturnsEverything) {
  SearchOptions o;
  o.k = 10000;
  auto hits = index_->Search(Query(2), o);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), static_cast<size_t>(kN));
  ExpectSameHits(*hits, Reference(2, o));
  o.k = 1 << 30;
  hits = index_->Search(Query(2), o);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(hits->size(), static_cast<size_t>(kN));
}

TEST_P(ExactSearchTest, BatchEqualsSingleSearches) {
  SearchOptions o;
  o.k = 12;
  o.filter = [](int64_t id) { return id % 2 == 1; };
  std::vector<int64_t> self(kQueries);
  for (int q = 0; q < kQueries; ++q) {
    // Give each query an indexed vector and its own id to leave out.
    std::copy_n(vectors_.begin() + q * 50 * kDim, kDim,
                queries_.begin() + q * kDim);
    self[q] = ids_[q * 50];
  }
  auto batch = index_->SearchBatch(queries_, o, self);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->size(), static_cast<size_t>(kQueries));
  for (int q = 0; q < kQueries; ++q) {
    std::vector<int64_t> excluded = {self[q]};
    SearchOptions single = o;
    single.exclude_ids = excluded;
    auto hits = index_->Search(Query(q), single);
    ASSERT_TRUE(hits.ok());
    ExpectSameHits((*batch)[q], *hits);
    EXPECT_EQ((*batch)[q].size(), 12u);
  }
}

// Flat float scans of a batch on one OpenMP thread take a kernel of their own
// (core/index/flat_scan.h) up to kFlatScanMaxBatch queries (32) and FAISS's
// sgemm above (and always with more threads; ctest runs this test both ways):
// every query gets the same hits and bit-identical scores whatever the size
// of its batch, with and without deleted rows, exclusions and a filter, for
// flat and for HNSW's exact bypass.
TEST_P(ExactSearchTest, BatchesOfAnySizeGiveIdenticalHits) {
  constexpr int kMany = 100;
  const std::vector<float> queries = RandomVectors(kMany, kDim, 5);
  for (const char* kind : {"flat", "hnsw"}) {
    SCOPED_TRACE(kind);
    VectorIndexOptions options;
    options.dim = kDim;
    options.metric = GetParam();
    options.index.kind = kind;
    auto index = MakeIndex(options);
    ASSERT_TRUE(index->Add(ids_, vectors_).ok());
    for (bool deleted : {false, true}) {
      if (deleted) {  // tombstones in the scanned rows
        std::vector<int64_t> gone(ids_.begin() + 100, ids_.begin() + 160);
        ASSERT_TRUE(index->Remove(gone).ok());
      }
      SearchOptions o;
      o.k = 15;
      o.exact = true;
      if (deleted) {
        o.filter = [](int64_t id) { return id % 5 != 2; };
        o.exclude_ids = {ids_[0], ids_[1]};
      }
      std::vector<std::vector<SearchHit>> single(kMany);
      for (int q = 0; q < kMany; ++q) {
        auto hits = index->Search(
            absl::MakeConstSpan(queries).subspan(q * kDim, kDim), o);
        ASSERT_TRUE(hits.ok()) << hits.status();
        single[q] = *std::move(hits);
      }
      for (int batch : {2, 3, 7, 16, 33, 64, 65, 100}) {
        for (int q0 = 0; q0 + batch <= kMany; q0 += batch) {
          auto got = index->SearchBatch(
              absl::MakeConstSpan(queries).subspan(q0 * kDim, batch * kDim), o);
          ASSERT_TRUE(got.ok()) << got.status();
          for (int i = 0; i < batch; ++i) {
            const std::vector<SearchHit>& want = single[q0 + i];
            ASSERT_EQ((*got)[i].size(), want.size());
            for (size_t j = 0; j < want.size(); ++j) {
              EXPECT_EQ((*got)[i][j].id, want[j].id)
                  << "batch " << batch << " query " << q0 + i << " rank " << j;
              EXPECT_EQ((*got)[i][j].score, want[j].score)
                  << "batch " << batch << " query " << q0 + i << " rank " << j;
            }
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Metrics, ExactSearchTest,
                         ::testing::Values(Metric::kCosine,
                                           Metric::kInnerProduct,
                                           Metric::kEuclidean),
                         [](const auto& info) {
                           return std::string(MetricName(info.param));
                         });

TEST(VectorIndexTest, CosineNormalisesDefensively) {
  VectorIndexOptions options;
  options.dim = 4;
  auto index = MakeIndex(options);
  std::vector<int64_t> ids = {1, 2};
  std::vector<float> v = {10, 0, 0, 0, 0, 3, 0, 0};  // not unit length
  ASSERT_TRUE(index->Add(ids, v).ok());
  std::vector<float> q = {2, 2, 0, 0};
  auto hits = index->Search(q, SearchOptions());
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_NEAR((*hits)[0].score, std::sqrt(0.5f), 1e-6);
  EXPECT_NEAR((*hits)[1].score, std::sqrt(0.5f), 1e-6);
}

TEST(VectorIndexTest, EuclideanScoreIsMinusDistance) {
  VectorIndexOptions options;
  options.dim = 2;
  options.metric = Metric::kEuclidean;
  auto index = MakeIndex(options);
  std::vector<int64_t> ids = {7, 8};
  std::vector<float> v = {3, 4, 1, 0};
  ASSERT_TRUE(index->Add(ids, v).ok());
  std::vector<float> q = {0, 0};
  auto hits = index->Search(q, SearchOptions());
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].id, 8);
  EXPECT_NEAR((*hits)[0].score, -1.0f, 1e-6);
  EXPECT_EQ((*hits)[1].id, 7);
  EXPECT_NEAR((*hits)[1].score, -5.0f, 1e-6);
  SearchOptions radius;
  radius.min_score = -2;  // within distance 2
  hits = index->Search(q, radius);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, 8);
}

TEST(VectorIndexTest, InvalidInputsAreRejectedAndChangeNothing) {
  VectorIndexOptions options;
  options.dim = 3;
  auto index = MakeIndex(options);
  std::vector<int64_t> one = {1};
  EXPECT_EQ(index->Add(one, std::vector<float>{1, 2}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(one, std::vector<float>{0, 0, 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Add(one, std::vector<float>{1, NAN, 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      index->Add(std::vector<int64_t>{-4}, std::vector<float>{1, 0, 0}).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index
                ->Add(std::vector<int64_t>{2, 2},
                      std::vector<float>{1, 0, 0, 0, 1, 0})
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->size(), 0);
  ASSERT_TRUE(index->Add(one, std::vector<float>{1, 0, 0}).ok());
  SearchOptions o;
  EXPECT_EQ(index->Search(std::vector<float>{1, 0}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Search(std::vector<float>{0, 0, 0}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.k = 0;
  EXPECT_EQ(index->Search(std::vector<float>{1, 0, 0}, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.k = 1;
  EXPECT_EQ(index
                ->SearchBatch(std::vector<float>{1, 0, 0}, o,
                              std::vector<int64_t>{1, 2})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(VectorIndexTest, EmptyIndexReturnsNoHits) {
  auto index = MakeIndex(VectorIndexOptions());
  auto hits = index->Search(RandomVectors(1, 100, 3), SearchOptions());
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits->empty());
}

TEST(VectorIndexTest, OptionsAreValidated) {
  auto expect_invalid = [](VectorIndexOptions o, const std::string& field) {
    absl::Status s = ValidateVectorIndexOptions(o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(std::string(s.message()).find(field), std::string::npos) << s;
    EXPECT_FALSE(VectorIndex::Create(o).ok());
  };
  VectorIndexOptions o;
  EXPECT_TRUE(ValidateVectorIndexOptions(o).ok());
  o.dim = 0;
  expect_invalid(o, "dim");
  o = VectorIndexOptions();
  o.index.hnsw_m = 1;
  expect_invalid(o, "hnsw_m");
  o = VectorIndexOptions();
  o.index.hnsw_ef_search = 0;
  expect_invalid(o, "hnsw_ef_search");
  o = VectorIndexOptions();
  o.index.hnsw_rebuild_tombstone_fraction = 0;
  expect_invalid(o, "hnsw_rebuild_tombstone_fraction");
  o = VectorIndexOptions();
  o.index.ivf_nprobe = o.index.ivf_nlist + 1;
  expect_invalid(o, "ivf_nprobe");
  o = VectorIndexOptions();
  o.index.ivf_train_min_vectors = 3;
  expect_invalid(o, "ivf_train_min_vectors");
  EXPECT_EQ(*ParseMetric("euclidean"), Metric::kEuclidean);
  EXPECT_FALSE(ParseMetric("l1").ok());
  o = VectorIndexOptions();
  o.index.kind = "lsh";
  expect_invalid(o, "unknown index kind \"lsh\" (registered: flat, hnsw, ivf");
}

// --- Every kind: replacement and deletion
// -----------------------------------------
VectorIndexOptions SmallOptions(std::string kind) {
  VectorIndexOptions o;
  o.dim = kDim;
  o.index.kind = kind;
  o.index.hnsw_m = 16;
  o.index.hnsw_ef_construction = 40;
  o.index.hnsw_ef_search = 32;
  o.index.hnsw_rebuild_tombstone_fraction = 0.3;
  o.index.ivf_nlist = 16;
  o.index.ivf_nprobe = 4;
  o.index.sq_train_min_vectors = 500;
  o.index.auto_hnsw_min_vectors = 700;
  return o;
}

// sq8 / fp16 store quantised vectors: their scores are approximate.
bool Quantised(const std::string& kind) {
  return kind == "sq8" || kind == "fp16";
}

class EveryKindTest : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryKindTest, ReAddingAnIdReplacesItsVector) {
  auto index = MakeIndex(SmallOptions(GetParam()));
  const int n = 1000;  // >= 39 * 16: an IVF index gets trained
  std::vector<int64_t> ids = SparseIds(n, 3, 100);
  std::vector<float> v = ClusteredVectors(n, kDim, 20, 0.3f, 4);
  ASSERT_TRUE(index->Add(ids, v).ok());
  EXPECT_TRUE(index->trained());
  std::vector<float> fresh = RandomVectors(1, kDim, 99);
  ASSERT_TRUE(index->Add(std::vector<int64_t>{ids[5]}, fresh).ok());
  EXPECT_EQ(index->size(), n);
  SearchOptions o;
  o.k = 3;
  auto hits = index->Search(fresh, o);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ((*hits)[0].id, ids[5]);
  EXPECT_NEAR((*hits)[0].score, 1.0f, Quantised(GetParam()) ? 2e-2 : 1e-5);
  // The old vector no longer finds ids[5] with a perfect score.
  auto old_hits =
      index->Search(absl::MakeConstSpan(v).subspan(5 * kDim, kDim), o);
  ASSERT_TRUE(old_hits.ok());
  for (const SearchHit& h : *old_hits) {
    if (h.id == ids[5]) EXPECT_LT(h.score, 0.99f);
  }
}

TEST_P(EveryKindTest, DeletedIdsAreNeverReturned) {
  VectorIndexOptions options = SmallOptions(GetParam());
  auto index = MakeIndex(options);
  const int n = 3000;
  std::vector<int64_t> ids = SparseIds(n, 11, 7);
  std::vector<float> v = ClusteredVectors(n, kDim, 30, 0.3f, 5);
  ASSERT_TRUE(index->Add(ids, v).ok());

  absl::flat_hash_set<int64_t> deleted;
  SearchOptions o;
  o.k = 50;
  bool saw_rebuild = false;
  // Delete in rounds of 200 (60% in all: HNSW passes its rebuild fraction).
  for (int round = 0; round < 9; ++round) {
    std::vector<int64_t> batch;
    for (int i = round; i < n && batch.size() < 200; i += 9) {
      if (!deleted.contains(ids[i])) batch.push_back(ids[i]);
    }
    batch.push_back(123456789);  // absent: ignored
    auto removed = index->Remove(batch);
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_EQ(*removed, static_cast<int64_t>(batch.size()) - 1);
    deleted.insert(batch.begin(), batch.end() - 1);
    EXPECT_EQ(index->size(), n - static_cast<int64_t>(deleted.size()));
    if (GetParam() == "hnsw" && round > 0 && index->tombstones() == 0) {
      saw_rebuild = true;
    }
    // Query with deleted vectors themselves: the worst case.
    for (int i = round; i < n; i += 97) {
      auto hits =
          index->Search(absl::MakeConstSpan(v).subspan(i * kDim, kDim), o);
      ASSERT_TRUE(hits.ok());
      EXPECT_EQ(hits->size(), 50u);
      for (const SearchHit& h : *hits) {
        ASSERT_FALSE(deleted.contains(h.id)) << "round " << round;
      }
    }
    for (int64_t id : batch) EXPECT_FALSE(index->Contains(id));
  }
  if (GetParam() == "hnsw") {
    EXPECT_TRUE(saw_rebuild) << "tombstones never triggered a rebuild";
    EXPECT_LE(index->tombstones(),
              options.index.hnsw_rebuild_tombstone_fraction * n);
  }
  // Deleting everything leaves an empty, searchable index.
  ASSERT_TRUE(index->Remove(ids).ok());
  EXPECT_EQ(index->size(), 0);
  auto hits = index->Search(absl::MakeConstSpan(v).subspan(0, kDim), o);
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits->empty());
}

TEST_P(EveryKindTest, KBeyondSizeAndSelectiveFilter) {
  auto index = MakeIndex(SmallOptions(GetParam()));
  const int n = 1200;
  std::vector<int64_t> ids = SparseIds(n, 5, 0);
  std::vector<float> v = ClusteredVectors(n, kDim, 10, 0.3f, 6);
  ASSERT_TRUE(index->Add(ids, v).ok());
  SearchOptions o;
  o.k = 10000;
  auto hits = index->Search(absl::MakeConstSpan(v).subspan(0, kDim), o);
  ASSERT_TRUE(hits.ok());
  // Approximate kinds may miss a few at k >> size, but never duplicate.
  absl::flat_hash_set<int64_t> unique;
  for (const SearchHit& h : *hits) EXPECT_TRUE(unique.insert(h.id).second);
  EXPECT_GE(hits->size(), static_cast<size_t>(n * 0.95));
  EXPECT_LE(hits->size(), static_cast<size_t>(n));
  // A filter admitting 1% of ids: all of them come back, exactly.
  o.k = 100;
  o.filter = [](int64_t id) { return id % 500 == 0; };  // ids 0, 500, ...
  hits = index->Search(absl::MakeConstSpan(v).subspan(0, kDim), o);
  ASSERT_TRUE(hits.ok());
  auto want = BruteForce(Metric::kCosine, kDim, ids, v, v.data(), o);
  if (Quantised(GetParam())) {  // every qualifying id, scores approximate
    absl::flat_hash_set<int64_t> got_ids, want_ids;
    for (const SearchHit& h : *hits) got_ids.insert(h.id);
    for (const SearchHit& h : want) want_ids.insert(h.id);
    EXPECT_EQ(got_ids, want_ids);
  } else {
    ExpectSameHits(*hits, want);
  }
  EXPECT_EQ(hits->size(), 12u);
}

// exact = true answers as brute force even on a deliberately poor graph or a
// single probed list.
TEST_P(EveryKindTest, ExactFlagAnswersAsBruteForce) {
  VectorIndexOptions options = SmallOptions(GetParam());
  options.index.hnsw_m = 4;
  options.index.hnsw_ef_construction = 8;
  options.index.hnsw_ef_search = 1;
  options.index.ivf_nprobe = 1;
  auto index = MakeIndex(options);
  const int n = 2000;
  std::vector<int64_t> ids = SparseIds(n, 7, 3);
  std::vector<float> v = RandomVectors(n, kDim, 12);
  ASSERT_TRUE(index->Add(ids, v).ok());
  std::vector<float> queries = RandomVectors(10, kDim, 13);
  SearchOptions o;
  o.k = 20;
  o.exact = true;
  for (int q = 0; q < 10; ++q) {
    auto query = absl::MakeConstSpan(queries).subspan(q * kDim, kDim);
    auto hits = index->Search(query, o);
    ASSERT_TRUE(hits.ok()) << hits.status();
    auto want = BruteForce(Metric::kCosine, kDim, ids, v, query.data(), o);
    if (Quantised(GetParam())) {
      EXPECT_GE(testing_util::Recall(*hits, want), 0.6);  // codes, not floats
    } else {
      ExpectSameHits(*hits, want);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, EveryKindTest,
                         ::testing::Values("flat", "hnsw", "ivf", "sq8", "fp16",
                                           "auto"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

TEST(VectorIndexTest, Sq8AnswersExactlyUntilTrained) {
  VectorIndexOptions options = SmallOptions("sq8");
  auto index = MakeIndex(options);
  std::vector<int64_t> ids = SparseIds(800, 1, 0);
  std::vector<float> v = ClusteredVectors(800, kDim, 16, 0.3f, 8);
  std::vector<int64_t> first(ids.begin(), ids.begin() + 400);
  ASSERT_TRUE(
      index->Add(first, absl::MakeConstSpan(v).subspan(0, 400 * kDim)).ok());
  EXPECT_FALSE(index->trained());
  const size_t float_bytes = index->MemoryBytes();
  auto copy = index->Vector(first[3]);
  ASSERT_TRUE(copy.ok());  // floats until trained
  SearchOptions o;
  o.k = 400;
  std::vector<float> q = RandomVectors(1, kDim, 9);
  auto hits = index->Search(q, o);
  ASSERT_TRUE(hits.ok());
  std::vector<float> first_v(v.begin(), v.begin() + 400 * kDim);
  ExpectSameHits(
      *hits, BruteForce(Metric::kCosine, kDim, first, first_v, q.data(), o));
  std::vector<int64_t> rest(ids.begin() + 400, ids.end());
  ASSERT_TRUE(
      index->Add(rest, absl::MakeConstSpan(v).subspan(400 * kDim)).ok());
  EXPECT_TRUE(index->trained());
  EXPECT_EQ(index->size(), 800);
  // One byte per dimension instead of four (plus the id maps).
  EXPECT_LT(index->MemoryBytes(), float_bytes * 2 * 0.6);
  EXPECT_EQ(index->Vector(first[3]).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(index->Vector(999999).status().code(), absl::StatusCode::kNotFound);
}

TEST(VectorIndexTest, AutoIsExactBelowItsThresholdAndHnswFromIt) {
  VectorIndexOptions options = SmallOptions("auto");
  options.index.auto_hnsw_min_vectors = 600;
  auto index = MakeIndex(options);
  std::vector<int64_t> ids = SparseIds(1000, 1, 0);
  std::vector<float> v = ClusteredVectors(1000, kDim, 16, 0.3f, 10);
  std::vector<int64_t> first(ids.begin(), ids.begin() + 500);
  ASSERT_TRUE(
      index->Add(first, absl::MakeConstSpan(v).subspan(0, 500 * kDim)).ok());
  const double flat_per_vector = index->MemoryBytes() / 500.0;
  std::vector<int64_t> rest(ids.begin() + 500, ids.end());
  ASSERT_TRUE(
      index->Add(rest, absl::MakeConstSpan(v).subspan(500 * kDim)).ok());
  EXPECT_EQ(index->size(), 1000);
  // The graph's links now come on top of the vectors.
  EXPECT_GT(index->MemoryBytes() / 1000.0, flat_per_vector + 4 * 16);
  auto copy = index->Vector(ids[700]);
  ASSERT_TRUE(copy.ok());
  SearchOptions o;
  o.k = 1;
  auto hits = index->Search(*copy, o);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].id, ids[700]);
}

TEST(VectorIndexTest, VectorReturnsTheIndexCopy) {
  VectorIndexOptions options = SmallOptions("flat");
  options.metric = Metric::kInnerProduct;  // stored as given
  auto index = MakeIndex(options);
  std::vector<int64_t> ids = SparseIds(50, 1, 0);
  std::vector<float> v = RandomVectors(50, kDim, 14);
  ASSERT_TRUE(index->Add(ids, v).ok());
  auto copy = index->Vector(ids[7]);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*copy,
            std::vector<float>(v.begin() + 7 * kDim, v.begin() + 8 * kDim));
  EXPECT_EQ(index->Vector(-5).status().code(), absl::StatusCode::kNotFound);
}

TEST(VectorIndexTest, IvfAnswersExactlyUntilTrained) {
  VectorIndexOptions options = SmallOptions("ivf");
  options.index.ivf_train_min_vectors = 800;
  options.index.ivf_nprobe = 1;
  auto index = MakeIndex(options);
  std::vector<int64_t> ids = SparseIds(1000, 1, 0);
  std::vector<float> v = ClusteredVectors(1000, kDim, 16, 0.3f, 8);
  std::vector<int64_t> first(ids.begin(), ids.begin() + 700);
  ASSERT_TRUE(
      index->Add(first, absl::MakeConstSpan(v).subspan(0, 700 * kDim)).ok());
  EXPECT_FALSE(index->trained());
  std::vector<float> q = RandomVectors(1, kDim, 9);
  SearchOptions o;
  o.k = 700;
  auto hits = index->Search(q, o);
  ASSERT_TRUE(hits.ok());
  std::vector<float> v700(v.begin(), v.begin() + 700 * kDim);
  ExpectSameHits(*hits,
                 BruteForce(Metric::kCosine, kDim, first, v700, q.data(), o));
  ASSERT_TRUE(index
                  ->Add(absl::MakeConstSpan(ids).subspan(700),
                        absl::MakeConstSpan(v).subspan(700 * kDim))
                  .ok());
  EXPECT_TRUE(index->trained());
  EXPECT_EQ(index->size(), 1000);
  // Trained with nprobe 1: every vector still finds itself first.
  o.k = 1;
  for (int i = 0; i < 1000; i += 37) {
    auto self =
        index->Search(absl::MakeConstSpan(v).subspan(i * kDim, kDim), o);
    ASSERT_TRUE(self.ok());
    ASSERT_EQ(self->size(), 1u);
    EXPECT_EQ((*self)[0].id, ids[i]);
  }
}

// Coalescing pays only for exact float scans (FAISS runs a batch of them
// through sgemm): flat, and every kind while it still scans floats (ivf and
// sq8 untrained, auto below its threshold) or with the exact flag (hnsw,
// auto above its threshold). Graph, inverted-list and quantised searches
// run on the caller's thread.
TEST(VectorIndexTest, PrefersBatchesOnlyForExactFloatScans) {
  struct Expect {
    std::string kind;
    bool small, small_exact, large, large_exact;
  };
  const Expect cases[] = {
      {"flat", true, true, true, true},     {"hnsw", false, true, false, true},
      {"ivf", true, true, false, false},    {"sq8", true, true, false, false},
      {"fp16", false, false, false, false}, {"auto", true, true, false, true},
  };
  std::vector<int64_t> ids = SparseIds(1000, 1, 0);
  std::vector<float> v = ClusteredVectors(1000, kDim, 16, 0.3f, 12);
  for (const Expect& e : cases) {
    SCOPED_TRACE(e.kind);
    auto index = MakeIndex(SmallOptions(e.kind));
    // 300 vectors: below every training / auto threshold of SmallOptions.
    ASSERT_TRUE(index
                    ->Add(absl::MakeConstSpan(ids).subspan(0, 300),
                          absl::MakeConstSpan(v).subspan(0, 300 * kDim))
                    .ok());
    EXPECT_EQ(index->PrefersBatches(false), e.small);
    EXPECT_EQ(index->PrefersBatches(true), e.small_exact);
    ASSERT_TRUE(index
                    ->Add(absl::MakeConstSpan(ids).subspan(300),
                          absl::MakeConstSpan(v).subspan(300 * kDim))
                    .ok());
    EXPECT_EQ(index->PrefersBatches(false), e.large);
    EXPECT_EQ(index->PrefersBatches(true), e.large_exact);
  }
}

TEST(VectorIndexTest, MemoryEstimateGrowsWithVectors) {
  for (std::string kind : {"flat", "hnsw", "ivf"}) {
    auto index = MakeIndex(SmallOptions(kind));
    const size_t empty = index->MemoryBytes();
    ASSERT_TRUE(
        index->Add(SparseIds(2000, 1, 0), RandomVectors(2000, kDim, 10)).ok());
    EXPECT_GE(index->MemoryBytes(), empty + 2000 * kDim * sizeof(float))
        << kind;
  }
}

}  // namespace
}  // namespace soundsearch
