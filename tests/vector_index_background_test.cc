// FaissVectorIndex reorganisations built on a background thread: writers go
// on while the new graph is built, their writes reach the new index before
// it is swapped in, searches keep answering, and small reorganisations stay
// inline. The swap is held by a test hook, so nothing here depends on timing.
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "index/faiss_vector_index.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

using testing_util::ClusteredVectors;
using testing_util::SparseIds;

constexpr int kDim = 32;

VectorIndexOptions Options(const std::string& kind, int background_min) {
  VectorIndexOptions o;
  o.dim = kDim;
  o.metric = Metric::kCosine;
  o.index.kind = kind;
  o.index.hnsw_m = 16;
  o.index.hnsw_ef_construction = 40;
  o.index.hnsw_ef_search = 64;
  o.index.hnsw_rebuild_tombstone_fraction = 0.2;
  o.index.background_build_min_vectors = background_min;
  return o;
}

std::unique_ptr<FaissVectorIndex> Make(const VectorIndexOptions& o) {
  auto index = FaissVectorIndex::Create(o);
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(index).value();
}

std::vector<float> Row(const std::vector<float>& v, size_t i) {
  return std::vector<float>(v.begin() + i * kDim, v.begin() + (i + 1) * kDim);
}

// The index holds exactly `want` (id -> vector): sizes, membership, stored
// vectors, and every vector finds itself first by exact search.
void ExpectHolds(FaissVectorIndex& index,
                 const absl::flat_hash_map<int64_t, std::vector<float>>& want,
                 const std::vector<int64_t>& gone) {
  EXPECT_EQ(index.size(), static_cast<int64_t>(want.size()));
  for (int64_t id : gone) EXPECT_FALSE(index.Contains(id)) << id;
  SearchOptions o;
  o.k = 1;
  o.exact = true;
  int checked = 0;
  for (const auto& [id, v] : want) {
    ASSERT_TRUE(index.Contains(id)) << id;
    auto stored = index.Vector(id);
    ASSERT_TRUE(stored.ok()) << stored.status();
    for (int d = 0; d < kDim; ++d) ASSERT_NEAR((*stored)[d], v[d], 1e-5f);
    if (++checked % 7 != 0) continue;  // a sample is searched
    auto hits = index.Search(v, o);
    ASSERT_TRUE(hits.ok()) << hits.status();
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].id, id);
  }
}

TEST(VectorIndexBackgroundTest, HnswRebuildLetsWritersGoOnAndKeepsTheirWrites) {
  auto index = Make(Options("hnsw", /*background_min=*/1));
  const int n = 2000;
  const std::vector<int64_t> ids = SparseIds(n, 3, 1);
  const std::vector<float> v = ClusteredVectors(n + 400, kDim, 20, 0.3f, 4);
  ASSERT_TRUE(
      index->Add(ids, absl::MakeConstSpan(v).subspan(0, n * kDim)).ok());
  absl::flat_hash_map<int64_t, std::vector<float>> want;
  for (int i = 0; i < n; ++i) want[ids[i]] = Row(v, i);

  absl::Notification release;
  index->SetBeforeSwapForTesting([&] { release.WaitForNotification(); });
  // 25 % removed: past the 0.2 fraction, so this Remove starts the rebuild.
  std::vector<int64_t> gone(ids.begin(), ids.begin() + 500);
  auto removed = index->Remove(gone);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 500);
  for (int64_t id : gone) want.erase(id);
  ASSERT_TRUE(index->background_build_running());
  const int64_t tombstones_before = index->tombstones();
  EXPECT_GE(tombstones_before, 500);

  // Writes while the graph is built: new ids, replacements, removals (some
  // of ids added meanwhile).
  std::vector<int64_t> fresh;
  for (int i = 0; i < 300; ++i) fresh.push_back(100000 + i);
  ASSERT_TRUE(
      index->Add(fresh, absl::MakeConstSpan(v).subspan(n * kDim, 300 * kDim))
          .ok());
  for (int i = 0; i < 300; ++i) want[fresh[i]] = Row(v, n + i);
  std::vector<int64_t> replaced(ids.begin() + 1000, ids.begin() + 1100);
  ASSERT_TRUE(index
                  ->Add(replaced, absl::MakeConstSpan(v).subspan(
                                      (n + 300) * kDim, 100 * kDim))
                  .ok());
  for (int i = 0; i < 100; ++i) want[replaced[i]] = Row(v, n + 300 + i);
  std::vector<int64_t> later(ids.begin() + 1500, ids.begin() + 1600);
  later.insert(later.end(), fresh.begin(), fresh.begin() + 50);
  removed = index->Remove(later);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 150);
  for (int64_t id : later) want.erase(id);
  gone.insert(gone.end(), later.begin(), later.end());
  EXPECT_TRUE(index->background_build_running());
  // Searches are answered by the old graph meanwhile.
  ExpectHolds(*index, want, gone);

  release.Notify();
  ASSERT_TRUE(index->WaitForBackgroundBuild().ok());
  EXPECT_FALSE(index->background_build_running());
  // The new graph has only the tombstones of the writes made meanwhile
  // (150 removals, 100 replacements), not the 500 before.
  EXPECT_EQ(index->tombstones(), 250);
  ExpectHolds(*index, want, gone);
}

TEST(VectorIndexBackgroundTest, AutoSwitchesToHnswWithoutHoldingWriters) {
  VectorIndexOptions o = Options("auto", /*background_min=*/1);
  o.index.auto_hnsw_min_vectors = 600;
  auto index = Make(o);
  const std::vector<int64_t> ids = SparseIds(800, 1, 0);
  const std::vector<float> v = ClusteredVectors(800, kDim, 10, 0.3f, 9);
  absl::Notification release;
  index->SetBeforeSwapForTesting([&] { release.WaitForNotification(); });
  std::vector<int64_t> first(ids.begin(), ids.begin() + 600);
  ASSERT_TRUE(
      index->Add(first, absl::MakeConstSpan(v).subspan(0, 600 * kDim)).ok());
  ASSERT_TRUE(index->background_build_running());
  EXPECT_EQ(index->stage(), FaissVectorIndex::Stage::kExact);
  std::vector<int64_t> rest(ids.begin() + 600, ids.end());
  ASSERT_TRUE(
      index->Add(rest, absl::MakeConstSpan(v).subspan(600 * kDim)).ok());
  release.Notify();
  ASSERT_TRUE(index->WaitForBackgroundBuild().ok());
  EXPECT_EQ(index->stage(), FaissVectorIndex::Stage::kHnsw);
  absl::flat_hash_map<int64_t, std::vector<float>> want;
  for (size_t i = 0; i < ids.size(); ++i) want[ids[i]] = Row(v, i);
  ExpectHolds(*index, want, {});
}

TEST(VectorIndexBackgroundTest, SmallRebuildsStayInline) {
  auto index = Make(Options("hnsw", /*background_min=*/20000));
  const std::vector<int64_t> ids = SparseIds(1000, 1, 0);
  const std::vector<float> v = ClusteredVectors(1000, kDim, 10, 0.3f, 2);
  ASSERT_TRUE(index->Add(ids, v).ok());
  std::vector<int64_t> gone(ids.begin(), ids.begin() + 300);
  ASSERT_TRUE(index->Remove(gone).ok());
  EXPECT_FALSE(index->background_build_running());
  EXPECT_EQ(index->tombstones(), 0);  // rebuilt by the Remove itself
  EXPECT_EQ(index->size(), 700);
}

TEST(VectorIndexBackgroundTest, DestroyingTheIndexWaitsForItsBuild) {
  auto index = Make(Options("hnsw", /*background_min=*/1));
  const std::vector<int64_t> ids = SparseIds(3000, 1, 0);
  const std::vector<float> v = ClusteredVectors(3000, kDim, 10, 0.3f, 3);
  ASSERT_TRUE(index->Add(ids, v).ok());
  std::vector<int64_t> gone(ids.begin(), ids.begin() + 1000);
  ASSERT_TRUE(index->Remove(gone).ok());
  index.reset();  // joins the builder; nothing outlives the index
}

}  // namespace
}  // namespace soundsearch
