// Approximate kinds against exact search: recall@15 on 20k clustered 100-d
// vectors (the shape of PCA-projected clip embeddings).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "soundsearch/vector_index.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

using testing_util::ClusteredVectors;
using testing_util::Recall;
using testing_util::SparseIds;

constexpr int kDim = 100;
constexpr int kN = 20000;
constexpr int kQueries = 200;
constexpr int kK = 15;

class RecallTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ids_ = new std::vector<int64_t>(SparseIds(kN, 17, 3));
    // 200 clusters: the queries are the first kQueries vectors themselves
    // (query by example), with their own id left out.
    vectors_ =
        new std::vector<float>(ClusteredVectors(kN, kDim, 200, 0.08f, 11));
    VectorIndexOptions o;
    o.dim = kDim;
    auto exact = VectorIndex::Create(o);
    ASSERT_TRUE(exact.ok());
    ASSERT_TRUE((*exact)->Add(*ids_, *vectors_).ok());
    truth_ = new std::vector<std::vector<SearchHit>>();
    auto batch = (*exact)->SearchBatch(Queries(), Options(), QueryIds());
    ASSERT_TRUE(batch.ok());
    *truth_ = std::move(batch).value();
  }
  static void TearDownTestSuite() {
    delete ids_;
    delete vectors_;
    delete truth_;
  }
  static absl::Span<const float> Queries() {
    return absl::MakeConstSpan(*vectors_).subspan(0, kQueries * kDim);
  }
  static absl::Span<const int64_t> QueryIds() {
    return absl::MakeConstSpan(*ids_).subspan(0, kQueries);
  }
  static SearchOptions Options() {
    SearchOptions o;
    o.k = kK;
    return o;
  }
  static double MeanRecall(const VectorIndex& index) {
    auto batch = index.SearchBatch(Queries(), Options(), QueryIds());
    EXPECT_TRUE(batch.ok());
    double sum = 0;
    for (int q = 0; q < kQueries; ++q) {
      EXPECT_EQ((*batch)[q].size(), static_cast<size_t>(kK));
      sum += Recall((*batch)[q], (*truth_)[q]);
    }
    return sum / kQueries;
  }

  static std::vector<int64_t>* ids_;
  static std::vector<float>* vectors_;
  static std::vector<std::vector<SearchHit>>* truth_;
};
std::vector<int64_t>* RecallTest::ids_ = nullptr;
std::vector<float>* RecallTest::vectors_ = nullptr;
std::vector<std::vector<SearchHit>>* RecallTest::truth_ = nullptr;

TEST_F(RecallTest, HnswRecallAt15Above95Percent) {
  VectorIndexOptions o;
  o.dim = kDim;
  o.index.kind = "hnsw";
  o.index.hnsw_m = 16;
  o.index.hnsw_ef_construction = 64;
  o.index.hnsw_ef_search = 128;
  auto index = VectorIndex::Create(o);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE((*index)->Add(*ids_, *vectors_).ok());
  const double recall = MeanRecall(**index);
  RecordProperty("recall_at_15", std::to_string(recall));
  std::printf("recall@15 = %.4f\n", recall);
  EXPECT_GT(recall, 0.95);
}

TEST_F(RecallTest, IvfRecallAt15Above95Percent) {
  VectorIndexOptions o;
  o.dim = kDim;
  o.index.kind = "ivf";
  o.index.ivf_nlist = 128;
  o.index.ivf_nprobe = 8;
  // Train inline, in the Add that reaches the threshold (from 20,000 live
  // vectors it would train on a background thread:
  // vector_index_background_test).
  o.index.background_build_min_vectors = 1 << 30;
  auto index = VectorIndex::Create(o);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE((*index)->Add(*ids_, *vectors_).ok());
  ASSERT_TRUE((*index)->trained());
  const double recall = MeanRecall(**index);
  RecordProperty("recall_at_15", std::to_string(recall));
  std::printf("recall@15 = %.4f\n", recall);
  EXPECT_GT(recall, 0.95);
}

// hnsw_ef_search must reach FAISS (1.7.3 ignores the per-call parameter for
// the queue size), at creation and on Load. Isotropic random vectors are hard
// for HNSW, so a small ef visibly loses recall there.
TEST(HnswEfSearchTest, DeeperSearchRaisesRecallOnHardData) {
  constexpr int kHardDim = 32;
  constexpr int kHardN = 20000;
  std::vector<float> data = testing_util::RandomVectors(kHardN, kHardDim, 21);
  std::vector<int64_t> ids = SparseIds(kHardN, 1, 0);
  std::vector<float> queries = testing_util::RandomVectors(100, kHardDim, 22);
  VectorIndexOptions o;
  o.dim = kHardDim;
  o.metric = Metric::kEuclidean;
  SearchOptions so;
  so.k = kK;
  auto exact = VectorIndex::Create(o);
  ASSERT_TRUE(exact.ok());
  ASSERT_TRUE((*exact)->Add(ids, data).ok());
  auto truth = (*exact)->SearchBatch(queries, so);
  ASSERT_TRUE(truth.ok());

  o.index.kind = "hnsw";
  o.index.hnsw_m = 8;
  o.index.hnsw_ef_construction = 40;
  o.index.hnsw_ef_search = 16;
  auto shallow = VectorIndex::Create(o);
  ASSERT_TRUE(shallow.ok());
  ASSERT_TRUE((*shallow)->Add(ids, data).ok());
  const std::string path = ::testing::TempDir() + "/hnsw_ef_snapshot";
  ASSERT_TRUE((*shallow)->Save(path, SnapshotMarks()).ok());
  VectorIndexOptions deep_options = o;
  deep_options.index.hnsw_ef_search = 256;
  auto deep = VectorIndex::Load(path, deep_options);
  ASSERT_TRUE(deep.ok()) << deep.status();
  std::remove(path.c_str());

  auto mean_recall = [&](const VectorIndex& index) {
    auto got = index.SearchBatch(queries, so);
    EXPECT_TRUE(got.ok());
    double sum = 0;
    for (size_t q = 0; q < truth->size(); ++q) {
      sum += Recall((*got)[q], (*truth)[q]);
    }
    return sum / truth->size();
  };
  const double r16 = mean_recall(**shallow);
  const double r256 = mean_recall(*deep->index);
  std::printf("hard data recall@15: ef 16 = %.4f, ef 256 = %.4f\n", r16, r256);
  EXPECT_GT(r256, 0.9);
  EXPECT_GT(r256, r16 + 0.1);
}

}  // namespace
}  // namespace soundsearch
