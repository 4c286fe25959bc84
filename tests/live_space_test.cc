// LiveSpace (core/collection/live_space.h): one space's runtime over a real
// SoundStore in a temp dir, with raw vectors made up by the test and an
// injected encoder, so that the test can see which encoder instance serves
// each view. Refits keep the encoder; a view (space + index) is swapped
// whole while searches run.
#include "collection/live_space.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/search_observer.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

constexpr int kFrameDim = 4;

// Counts how many of its kind exist, so that a test can tell that no code
// path creates another one. Never asked to encode: the test stores raw
// vectors itself.
class CountingEncoder : public Encoder {
 public:
  CountingEncoder() { ++instances; }
  ~CountingEncoder() override { --instances; }
  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return 8000; }
  int frame_dim() const override { return kFrameDim; }
  absl::StatusOr<EncodedClip> Encode(absl::Span<const float>) const override {
    return absl::UnimplementedError("CountingEncoder does not encode");
  }

  static std::atomic<int> instances;

 private:
  std::string kind_ = "counting";
};
std::atomic<int> CountingEncoder::instances{0};

class LiveSpaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    SoundStoreOptions options;
    options.path = dir_->File("store");
    options.sync_writes = false;
    auto store = SoundStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  static SpaceConfig Config() {
    SpaceConfig c;
    c.name = "test";
    c.pooling = Pooling::kMeanStd;  // 8 pooled dims
    c.scaling = Scaling::kNone;
    c.pca_dims = 6;
    return c;
  }

  // Raw embedding of sound n: one of four clusters, plus noise.
  static RawEmbedding Raw(int n) {
    std::mt19937 rng(n);
    std::normal_distribution<float> noise(0.0f, 0.05f);
    RawEmbedding raw;
    raw.pooled.assign(2 * kFrameDim, 0.1f);
    raw.pooled[n % 4] = 1.0f;
    raw.pooled[4 + (n / 4) % 4] += 0.5f;
    for (float& x : raw.pooled) x += noise(rng);
    return raw;
  }

  // Stores sound n with its raw vector in the space; returns its id.
  uint64_t Store(int n) {
    SoundRecord record;
    record.content_hash = Sha256Hex(absl::StrCat("sound ", n));
    auto added = store_->AddSound(record, {{"test", Raw(n).Encode()}});
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }

  std::unique_ptr<LiveSpace> Open(std::shared_ptr<const Encoder> encoder,
                                  const SpaceConfig& config = Config(),
                                  const std::string& index_file = "test.idx") {
    auto space = Space::Create(config, std::move(encoder));
    EXPECT_TRUE(space.ok()) << space.status();
    if (!space.ok()) return nullptr;
    LiveSpaceLoad load;
    auto live = LiveSpace::Open(*std::move(space), dir_->File(index_file),
                                store_.get(), &write_mu_, &load);
    EXPECT_TRUE(live.ok()) << live.status();
    return live.ok() ? *std::move(live) : nullptr;
  }

  // Queries `view` with sound `id`'s own vector: the sound must be among the
  // best hits, at cosine 1 (a near neighbour may tie with it in float).
  static bool FindsItself(const LiveSpace& live, const SpaceView& view,
                          uint64_t id) {
    auto vector = live.StoredVector(view, id);
    if (!vector.ok()) return false;
    QueryOptions q;
    q.k = 3;
    auto result = live.Search(view, *vector, q, std::nullopt, nullptr);
    if (!result.ok()) return false;
    for (const QueryHit& hit : result->hits) {
      if (hit.id == id) return std::fabs(hit.score - 1.0f) < 1e-4f;
    }
    return false;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundStore> store_;
  absl::Mutex write_mu_;
};

TEST_F(LiveSpaceTest, RefitsKeepTheEncoderCreatedOnce) {
  for (int n = 0; n < 30; ++n) Store(n);
  auto encoder = std::make_shared<const CountingEncoder>();
  ASSERT_EQ(CountingEncoder::instances.load(), 1);
  auto live = Open(encoder);
  ASSERT_NE(live, nullptr);
  auto unfitted = live->view();
  EXPECT_EQ(unfitted->projection_version, 0u);
  EXPECT_EQ(unfitted->index->size(), 30);
  EXPECT_EQ(unfitted->index->dim(), 2 * kFrameDim);

  std::shared_ptr<const SpaceView> swapped;
  for (uint64_t version = 1; version <= 3; ++version) {
    auto refit = live->Refit(
        /*only_unfitted=*/false,
        [&](std::shared_ptr<const SpaceView> view) { swapped = view; });
    ASSERT_TRUE(refit.ok()) << refit.status();
    EXPECT_EQ(refit->projection_version, version);
    EXPECT_EQ(refit->items, 30u);
    auto view = live->view();
    EXPECT_EQ(swapped, view);  // the hook saw the published view
    EXPECT_EQ(view->projection_version, version);
    EXPECT_EQ(view->index->dim(), 6);
    EXPECT_EQ(view->space->index_dim(), 6);
    // The same encoder instance serves every view; none was created.
    EXPECT_EQ(view->space->encoder(), encoder);
    EXPECT_EQ(CountingEncoder::instances.load(), 1);
  }
  // The views published before are unchanged (a query holding one goes on).
  EXPECT_EQ(unfitted->space->fitted_version(), 0u);
  EXPECT_EQ(unfitted->index->dim(), 2 * kFrameDim);
  EXPECT_TRUE(FindsItself(*live, *unfitted, 7));

  // only_unfitted leaves a fitted space alone.
  auto again = live->Refit(/*only_unfitted=*/true, nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->projection_version, 3u);
  EXPECT_EQ(again->items, 0u);
  EXPECT_EQ(live->view()->projection_version, 3u);

  // A restart adopts the stored fitted state with the encoder it is given.
  {
    absl::MutexLock lock(&write_mu_);
    ASSERT_TRUE(live->SaveSnapshot(store_->LastSequence()).ok());
  }
  const std::vector<float> before = *live->StoredVector(*live->view(), 5);
  live.reset();
  auto reopened = Open(encoder);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->view()->projection_version, 3u);
  EXPECT_EQ(reopened->view()->space->encoder(), encoder);
  EXPECT_EQ(*reopened->StoredVector(*reopened->view(), 5), before);
  EXPECT_EQ(CountingEncoder::instances.load(), 1);
}

TEST_F(LiveSpaceTest, RefitWithTooFewSoundsKeepsTheView) {
  Store(0);
  auto live = Open(std::make_shared<const CountingEncoder>());
  ASSERT_NE(live, nullptr);
  auto view = live->view();
  EXPECT_EQ(live->Refit(false, nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(live->view(), view);
}

// Searches while refits swap views and sounds are added: every search runs on
// one whole view (its vector and its index of the same projection; the index
// dimension changes at the first fit), never an error or a mixed one.
TEST_F(LiveSpaceTest, SearchesDuringRefitsSeeOneWholeView) {
  std::vector<uint64_t> ids;
  for (int n = 0; n < 40; ++n) ids.push_back(Store(n));
  auto live = Open(std::make_shared<const CountingEncoder>());
  ASSERT_NE(live, nullptr);

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, searches{0};
  std::thread reader([&] {
    size_t i = 0;
    while (!stop.load()) {
      auto view = live->view();
      if (view->index->dim() != view->space->index_dim() ||
          !FindsItself(*live, *view, ids[i++ % ids.size()])) {
        ++failures;
      }
      ++searches;
    }
  });
  auto wait_for_searches = [&](int more) {
    const int target = searches.load() + more;
    while (searches.load() < target) std::this_thread::yield();
  };
  wait_for_searches(20);  // on the unfitted view
  for (int round = 0; round < 5; ++round) {
    auto refit = live->Refit(false, nullptr);
    EXPECT_TRUE(refit.ok()) << refit.status();  // no ASSERT: join first
    {
      // An ingest between refits, as the collection does it.
      absl::MutexLock lock(&write_mu_);
      const int n = 100 + round;
      const uint64_t id = Store(n);
      EXPECT_TRUE(live->Add(id, Raw(n)).ok());
    }
    wait_for_searches(20);
  }
  stop = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(live->view()->projection_version, 5u);
  EXPECT_EQ(live->view()->index->size(), 45);
}

// Records the size of every index search.
class BatchSizes : public SearchObserver {
 public:
  void OnIndexSearch(absl::string_view, int queries, double) override {
    absl::MutexLock lock(&mu_);
    largest_ = std::max(largest_, queries);
    total_ += queries;
  }
  int largest() const {
    absl::MutexLock lock(&mu_);
    return largest_;
  }
  int total() const {
    absl::MutexLock lock(&mu_);
    return total_;
  }

 private:
  mutable absl::Mutex mu_;
  int largest_ = 0;
  int total_ = 0;
};

// Concurrent searches are coalesced only where the index prefers batches
// (VectorIndex::PrefersBatches): a flat space's are, an HNSW space's graph
// searches are not (each runs alone on its caller's thread), its exact ones
// are. Every search still answers with the sound itself first.
TEST_F(LiveSpaceTest, CoalescesOnlyWhereTheIndexPrefersBatches) {
  std::vector<uint64_t> ids;
  for (int n = 0; n < 40; ++n) ids.push_back(Store(n));
  struct Case {
    std::string kind;
    bool exact;
    bool coalesced;
  };
  for (const Case& c : {Case{"flat", false, true}, Case{"hnsw", false, false},
                        Case{"hnsw", true, true}}) {
    SCOPED_TRACE(absl::StrCat(c.kind, c.exact ? " exact" : ""));
    SpaceConfig config = Config();
    config.index.kind = c.kind;
    auto live = Open(std::make_shared<const CountingEncoder>(), config,
                     absl::StrCat(c.kind, c.exact ? "_exact" : "", ".idx"));
    ASSERT_NE(live, nullptr);
    BatchSizes sizes;
    SearchBatchingOptions batching;
    batching.window_us = 20000;  // long, so that batches surely form
    batching.max_batch = 64;
    live->SetSearchBatching(batching, &sizes);
    auto view = live->view();
    constexpr int kThreads = 8, kEach = 5;
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          const uint64_t id = ids[(t * kEach + i) % ids.size()];
          auto vector = live->StoredVector(*view, id);
          QueryOptions q;
          q.k = 1;
          q.exact = c.exact;
          auto result = vector.ok() ? live->Search(*view, *vector, q,
                                                   std::nullopt, nullptr)
                                    : vector.status();
          if (!result.ok() || result->hits.empty() ||
              std::fabs(result->hits[0].score - 1.0f) > 1e-4f) {
            ++wrong;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(sizes.total(), kThreads * kEach);
    if (c.coalesced) {
      EXPECT_GT(sizes.largest(), 1) << "no search was coalesced";
    } else {
      EXPECT_EQ(sizes.largest(), 1) << "graph searches were coalesced";
    }
  }
}

}  // namespace
}  // namespace soundsearch
