// VectorIndex under concurrency: searches in parallel with adds, replacements,
// deletes and HNSW rebuilds, checked against a reference (bounded stress).
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "soundsearch/vector_index.h"
#include "vector_index_test_util.h"

namespace soundsearch {
namespace {

using testing_util::BruteForce;
using testing_util::ClusteredVectors;
using testing_util::RandomVectors;
using testing_util::Recall;

constexpr int kDim = 32;
constexpr int kStable = 2000;  // ids 0..1999, content never changes
constexpr int64_t kChurnBase = 1000000;
constexpr int kChurnBatch = 50;
constexpr int kRounds = 40;
constexpr int kReaders = 2;
constexpr int kSearchesPerReader = 250;
constexpr int kK = 10;

class ConcurrencyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConcurrencyTest, SearchesStayCorrectWhileWritersChurn) {
  VectorIndexOptions o;
  o.dim = kDim;
  o.index.kind = GetParam();
  o.index.hnsw_m = 12;
  o.index.hnsw_ef_construction = 40;
  o.index.hnsw_ef_search = 48;
  o.index.hnsw_rebuild_tombstone_fraction = 0.1;  // rebuilds during the run
  o.index.ivf_nlist = 16;
  o.index.ivf_nprobe = 4;
  auto created = VectorIndex::Create(o);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<VectorIndex> index = std::move(created).value();

  std::vector<int64_t> stable_ids(kStable);
  for (int i = 0; i < kStable; ++i) stable_ids[i] = i;
  const std::vector<float> stable =
      ClusteredVectors(kStable, kDim, 40, 0.3f, 1);
  ASSERT_TRUE(index->Add(stable_ids, stable).ok());

  // Reference for searches restricted to the stable ids (their content never
  // changes: replacements re-add the same vector).
  SearchOptions stable_only;
  stable_only.k = kK;
  stable_only.filter = [](int64_t id) { return id < kChurnBase; };
  std::vector<std::vector<SearchHit>> reference(kStable);
  for (int i = 0; i < kStable; i += 7) {
    reference[i] = BruteForce(Metric::kCosine, kDim, stable_ids, stable,
                              stable.data() + i * kDim, stable_only);
  }

  // Churn ids below this watermark have been deleted for good.
  std::atomic<int64_t> deleted_below{kChurnBase};
  std::atomic<int> rebuilds_seen{0};
  std::atomic<bool> failed{false};

  std::thread writer([&] {
    for (int r = 0; r < kRounds && !failed; ++r) {
      std::vector<int64_t> ids(kChurnBatch);
      for (int i = 0; i < kChurnBatch; ++i) {
        ids[i] = kChurnBase + r * kChurnBatch + i;
      }
      if (!index->Add(ids, RandomVectors(kChurnBatch, kDim, 100 + r)).ok()) {
        failed = true;
      }
      // Replace 60 stable ids with their own vectors (HNSW tombstones).
      std::vector<int64_t> same(60);
      std::vector<float> same_v;
      for (int i = 0; i < 60; ++i) {
        same[i] = (r * 61 + i * 31) % kStable;
        same_v.insert(same_v.end(), stable.begin() + same[i] * kDim,
                      stable.begin() + (same[i] + 1) * kDim);
      }
      const int64_t tomb_before = index->tombstones();
      if (!index->Add(same, same_v).ok()) failed = true;
      if (index->tombstones() < tomb_before) ++rebuilds_seen;
      if (r >= 2) {  // delete the batch of round r - 2
        std::vector<int64_t> old(kChurnBatch);
        for (int i = 0; i < kChurnBatch; ++i) {
          old[i] = kChurnBase + (r - 2) * kChurnBatch + i;
        }
        auto removed = index->Remove(old);
        if (!removed.ok() || *removed != kChurnBatch) failed = true;
        deleted_below.store(kChurnBase + (r - 1) * kChurnBatch,
                            std::memory_order_release);
      }
    }
  });

  std::vector<std::thread> readers;
  std::atomic<int> exact_mismatches{0};
  std::atomic<int> searches_done{0};
  double recall_sum[kReaders] = {};
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      for (int s = 0; s < kSearchesPerReader && !failed; ++s) {
        const int i = ((s * kReaders + t) * 7) % kStable / 7 * 7;
        const auto query = absl::MakeConstSpan(stable).subspan(i * kDim, kDim);
        const int64_t watermark = deleted_below.load(std::memory_order_acquire);
        SearchOptions all;
        all.k = kK;
        auto hits = index->Search(query, all);
        if (!hits.ok() || hits->size() != static_cast<size_t>(kK)) {
          failed = true;
          break;
        }
        absl::flat_hash_set<int64_t> seen;
        for (size_t j = 0; j < hits->size(); ++j) {
          const SearchHit& h = (*hits)[j];
          if (h.id >= kChurnBase && h.id < watermark) failed = true;  // deleted
          if (!seen.insert(h.id).second) failed = true;               // dup
          if (j > 0 && h.score > (*hits)[j - 1].score) failed = true;  // order
        }
        auto restricted = index->Search(query, stable_only);
        if (!restricted.ok()) {
          failed = true;
          break;
        }
        const double recall = Recall(*restricted, reference[i]);
        recall_sum[t] += recall;
        if (recall < 1.0) ++exact_mismatches;
        ++searches_done;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  ASSERT_FALSE(failed);
  ASSERT_EQ(searches_done, kReaders * kSearchesPerReader);
  const double mean_recall =
      (recall_sum[0] + recall_sum[1]) / (kReaders * kSearchesPerReader);
  if (GetParam() == "flat") {
    EXPECT_EQ(exact_mismatches, 0);
  } else {
    EXPECT_GT(mean_recall, 0.9);
  }
  if (GetParam() == "hnsw") EXPECT_GT(rebuilds_seen, 0);

  // Final state equals the reference content: stable + the last two rounds.
  EXPECT_EQ(index->size(), kStable + 2 * kChurnBatch);
  for (int64_t id = kChurnBase; id < kChurnBase + (kRounds - 2) * kChurnBatch;
       ++id) {
    ASSERT_FALSE(index->Contains(id));
  }
  for (int64_t id = kChurnBase + (kRounds - 2) * kChurnBatch;
       id < kChurnBase + kRounds * kChurnBatch; ++id) {
    ASSERT_TRUE(index->Contains(id));
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, ConcurrencyTest,
                         ::testing::Values("flat", "hnsw", "ivf"),
                         [](const auto& info) {
                           return std::string(info.param);
                         });

}  // namespace
}  // namespace soundsearch
