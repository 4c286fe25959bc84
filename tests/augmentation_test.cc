// Database-side augmentation of a space's index (SpaceConfig::augment,
// core/collection/augmentation.h) in a LiveSpace over a real SoundStore with
// raw vectors made up here (four labelled clusters): after a rebuild and
// after a refit every index vector is the normalised weighted mean of the
// sound's projected vector and its nearest neighbours' (computed here by
// brute force), Evaluate equals the offline evaluation's augmentation
// (research/neighbourhood_eval.h, leave-one-out), a new sound is augmented
// at ingest from the current index, query vectors stay raw, and the
// snapshot file name follows the setting (turning it off is a rebuild).
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "collection/live_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "research/neighbourhood_eval.h"
#include "soundsearch/content_hash.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/sound_store.h"
#include "soundsearch/space.h"
#include "soundsearch/space_config.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

constexpr int kSounds = 40;

std::vector<float> Normalised(std::vector<float> v) {
  double n = 0;
  for (float x : v) n += double{x} * x;
  for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

class AugmentationTest : public ::testing::Test {
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
    config_.name = "aug";
    config_.scaling = Scaling::kNone;
    config_.pca_dims = 6;
    config_.augment = {5, 3.0f};
    auto space = Space::Create(config_);
    ASSERT_TRUE(space.ok()) << space.status();
    pooled_dim_ = (*space)->pooled_dim();
    for (int n = 0; n < kSounds; ++n) ids_.push_back(Store(n));
  }

  // Raw vector of sound n: cluster n % 4 plus noise.
  RawEmbedding Raw(int n) const {
    std::mt19937 rng(n + 1);
    std::normal_distribution<float> noise(0.0f, 0.3f);
    RawEmbedding raw;
    raw.pooled.assign(pooled_dim_, 0.2f);
    for (int d = 0; d < 6; ++d) raw.pooled[(n % 4) * 6 + d] += 1.0f;
    for (float& x : raw.pooled) x += noise(rng);
    return raw;
  }

  uint64_t Store(int n) {
    SoundRecord record;
    record.content_hash = Sha256Hex(absl::StrCat("sound ", n));
    record.class_labels = {absl::StrCat("cluster", n % 4)};
    auto added = store_->AddSound(record, {{"aug", Raw(n).Encode()}});
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }

  std::unique_ptr<LiveSpace> Open() {
    auto space = Space::Create(config_);
    EXPECT_TRUE(space.ok()) << space.status();
    LiveSpaceLoad load;
    auto live = LiveSpace::Open(*std::move(space),
                                dir_->File(SnapshotFileName(config_)),
                                store_.get(), &write_mu_, &load);
    EXPECT_TRUE(live.ok()) << live.status();
    return live.ok() ? *std::move(live) : nullptr;
  }

  // The projected vectors of sounds 0..n-1 under `space`, normalised.
  std::vector<std::vector<float>> Projected(const Space& space, int n) const {
    std::vector<std::vector<float>> out;
    for (int i = 0; i < n; ++i) {
      auto v = space.Project(Raw(i));
      EXPECT_TRUE(v.ok()) << v.status();
      out.push_back(Normalised(*v));
    }
    return out;
  }

  // Sound i's augmented vector among rows[0..n) by brute force: its 5
  // nearest others by cosine (ties by index), weights cos^3.
  static std::vector<float> Expected(
      const std::vector<std::vector<float>>& rows, size_t i, size_t n) {
    std::vector<std::pair<float, size_t>> scored;
    for (size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double dot = 0;
      for (size_t d = 0; d < rows[i].size(); ++d)
        dot += rows[i][d] * rows[j][d];
      scored.push_back({static_cast<float>(dot), j});
    }
    std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    std::vector<const float*> nb;
    std::vector<float> w;
    for (size_t k = 0; k < 5 && k < scored.size(); ++k) {
      nb.push_back(rows[scored[k].second].data());
      w.push_back(NeighbourWeight(scored[k].first, 3.0f));
    }
    std::vector<float> out = rows[i];
    NeighbourhoodMean(out, nb, w, absl::MakeSpan(out));
    return Normalised(out);
  }

  void ExpectAugmented(const LiveSpace& live, int n) {
    std::shared_ptr<const SpaceView> view = live.view();
    const auto rows = Projected(*view->space, n);
    for (int i = 0; i < n; ++i) {
      auto got = live.IndexVector(*view, ids_[i]);
      ASSERT_TRUE(got.ok()) << got.status();
      const std::vector<float> want = Expected(rows, i, n);
      ASSERT_EQ(got->size(), want.size());
      for (size_t d = 0; d < want.size(); ++d) {
        EXPECT_NEAR((*got)[d], want[d], 1e-5) << "sound " << i << " dim " << d;
      }
      // The query vector is the raw projected one.
      auto query = live.QueryVector(*view, ids_[i]);
      ASSERT_TRUE(query.ok()) << query.status();
      const std::vector<float> raw = Normalised(*query);
      for (size_t d = 0; d < raw.size(); ++d) {
        EXPECT_NEAR(raw[d], rows[i][d], 1e-5) << "sound " << i;
      }
    }
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundStore> store_;
  absl::Mutex write_mu_;
  SpaceConfig config_;
  int pooled_dim_ = 0;
  std::vector<uint64_t> ids_;
};

TEST_F(AugmentationTest, RebuildAndRefitHoldTheOfflineAugmentedVectors) {
  auto live = Open();
  ASSERT_NE(live, nullptr);
  ExpectAugmented(*live, kSounds);  // unfitted, rebuilt at Open
  auto refit = live->Refit(/*only_unfitted=*/false, nullptr);
  ASSERT_TRUE(refit.ok()) << refit.status();
  EXPECT_EQ(live->view()->index->dim(), 6);
  ExpectAugmented(*live, kSounds);
  // Reopened from the snapshot it wrote: the same vectors.
  const uint64_t sequence = store_->LastSequence();
  ASSERT_TRUE(live->SaveSnapshot(sequence).ok());
  live = Open();
  ASSERT_NE(live, nullptr);
  ExpectAugmented(*live, kSounds);
}

TEST_F(AugmentationTest, EvaluateIsTheOfflineAugmentation) {
  auto live = Open();
  ASSERT_NE(live, nullptr);
  ASSERT_TRUE(live->Refit(/*only_unfitted=*/false, nullptr).ok());
  auto evaluated = live->Evaluate(EvaluationRequest{});
  ASSERT_TRUE(evaluated.ok()) << evaluated.status();

  std::shared_ptr<const SpaceView> view = live->view();
  std::vector<LabeledItem> items;
  FusionPart part;
  part.name = "aug";
  part.dim = view->space->index_dim();
  for (int i = 0; i < kSounds; ++i) {
    items.push_back(
        {std::to_string(ids_[i]), {absl::StrCat("cluster", i % 4)}});
    auto v = view->space->Project(Raw(i));
    ASSERT_TRUE(v.ok());
    part.vectors.insert(part.vectors.end(), v->begin(), v->end());
  }
  NeighbourhoodSystem system;
  system.name = "augment 5";
  system.weights = {1.0f};
  system.augment = {5, 3.0f};
  auto offline = EvaluateNeighbourhoodSystem(items, {&part, 1}, system,
                                             NeighbourhoodEvalOptions{});
  ASSERT_TRUE(offline.ok()) << offline.status();
  for (int cut = 0; cut < 2; ++cut) {
    EXPECT_NEAR(evaluated->macro.map[cut], offline->macro.map[cut], 1e-9);
  }
  EXPECT_NEAR(evaluated->macro.mr1, offline->macro.mr1, 1e-9);
  // And augmentation changed something (else the check says little).
  system.augment = {};
  auto plain = EvaluateNeighbourhoodSystem(items, {&part, 1}, system,
                                           NeighbourhoodEvalOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->macro.map[1], offline->macro.map[1]);
}

TEST_F(AugmentationTest, ANewSoundIsAugmentedAtIngestFromTheCurrentIndex) {
  auto live = Open();
  ASSERT_NE(live, nullptr);
  ASSERT_TRUE(live->Refit(/*only_unfitted=*/false, nullptr).ok());
  const uint64_t id = Store(kSounds);  // sound 40, cluster 0
  ids_.push_back(id);
  {
    absl::MutexLock lock(&write_mu_);
    ASSERT_TRUE(live->Add(id, Raw(kSounds)).ok());
  }
  std::shared_ptr<const SpaceView> view = live->view();
  const auto rows = Projected(*view->space, kSounds + 1);
  auto got = live->IndexVector(*view, id);
  ASSERT_TRUE(got.ok()) << got.status();
  // Its neighbours among the 40 others (whose vectors stay as they were).
  const std::vector<float> want = Expected(rows, kSounds, kSounds + 1);
  for (size_t d = 0; d < want.size(); ++d) {
    EXPECT_NEAR((*got)[d], want[d], 1e-5) << d;
  }
}

TEST_F(AugmentationTest, ConfigAndSnapshotName) {
  SpaceConfig plain = config_;
  plain.augment = {};
  EXPECT_EQ(SnapshotFileName(plain), "aug.idx");
  EXPECT_EQ(SnapshotFileName(config_), "aug.augment-5-3.idx");
  auto parsed = ParseSpaceConfigs(R"({"spaces": [{"name": "a",
      "encoder": {"kind": "dsp"}, "augment": {"neighbours": 5, "alpha": 3}}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].augment, (NeighbourhoodOptions{5, 3.0f}));
  auto euclidean = ParseSpaceConfigs(R"({"spaces": [{"name": "a",
      "encoder": {"kind": "dsp"}, "metric": "euclidean",
      "augment": {"neighbours": 5}}]})");
  EXPECT_THAT(euclidean.status().message(), HasSubstr("must be cosine"));
  auto many = ParseSpaceConfigs(R"({"spaces": [{"name": "a",
      "encoder": {"kind": "dsp"}, "augment": {"neighbours": 500}}]})");
  EXPECT_THAT(many.status().message(), HasSubstr("augment"));
}

}  // namespace
}  // namespace soundsearch
