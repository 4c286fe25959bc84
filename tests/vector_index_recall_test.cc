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
  o.kind = IndexKind::kHnsw;
  o.hnsw_m = 16;
  o.hnsw_ef_construction = 64;
  o.hnsw_ef_search = 128;
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
  o.kind = IndexKind::kIvf;
  o.ivf_nlist = 128;
  o.ivf_nprobe = 8;
  auto index = VectorIndex::Create(o);
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE((*index)->Add(*ids_, *vectors_).ok());
  ASSERT_TRUE((*index)->trained());
  const double recall = MeanRecall(**index);
  RecordProperty("recall_at_15", std::to_string(recall));
  std::printf("recall@15 = %.4f\n", recall);
  EXPECT_GT(recall, 0.95);
}

}  // namespace
}  // namespace soundsearch
