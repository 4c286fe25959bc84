// WordIndex (core/collection/word_index.h) and the word rules of
// collection_words.h, over a real SoundStore in a temp dir and index vectors
// made up by the test (sound id -> {id, 1}), so that every mean is known.
#include "collection/word_index.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/sound_store.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

SoundRecord Sound(uint64_t id, std::vector<std::string> tags,
                  std::vector<std::string> labels, double seconds = 1.0) {
  SoundRecord r;
  r.id = id;
  r.tags = std::move(tags);
  r.class_labels = std::move(labels);
  r.duration_seconds = seconds;
  return r;
}

TEST(CollectionWordsTest, WordsFromTagsAndSplitLabels) {
  WordVectorOptions options;
  EXPECT_EQ(
      WordsOfSound(Sound(1, {"dog", "bark"}, {"Acoustic_guitar"}), options),
      (std::vector<std::string>{"dog", "bark", "acoustic guitar", "acoustic",
                                "guitar"}));
  // Stop words are left out of split labels; duplicates are dropped.
  EXPECT_EQ(
      WordsOfSound(Sound(1, {"walk"}, {"Walk_and_footsteps", "Walk"}), options),
      (std::vector<std::string>{"walk", "walk and footsteps", "footsteps"}));
  options.split_labels = false;
  EXPECT_EQ(WordsOfSound(Sound(1, {}, {"Acoustic_guitar"}), options),
            (std::vector<std::string>{"acoustic guitar"}));
  options.use_tags = false;
  options.use_labels = false;
  EXPECT_TRUE(WordsOfSound(Sound(1, {"dog"}, {"Dog"}), options).empty());
  // Longer than 60 s: no word.
  EXPECT_TRUE(
      WordsOfSound(Sound(1, {"dog"}, {"Dog"}, 60.5), WordVectorOptions())
          .empty());
  EXPECT_EQ(NormaliseWord("  Acoustic_Guitar "), "acoustic guitar");
}

TEST(CollectionWordsTest, AutoTagsStandInForUntaggedSounds) {
  SoundRecord untagged = Sound(1, {}, {});
  untagged.auto_tags = {{"music", 0.6f}, {"Computer keyboard", 0.3f}};
  WordVectorOptions options;
  EXPECT_EQ(WordsOfSound(untagged, options),
            (std::vector<std::string>{"music", "computer keyboard"}));
  // A tagged sound's own words win; auto-tags are not added to them.
  SoundRecord tagged = untagged;
  tagged.tags = {"piano"};
  EXPECT_EQ(WordsOfSound(tagged, options), (std::vector<std::string>{"piano"}));
  options.auto_tags_when_untagged = false;
  EXPECT_TRUE(WordsOfSound(untagged, options).empty());
}

TEST(CollectionWordsTest, AutoTagWordsForEverySoundAndSplit) {
  SoundRecord tagged = Sound(1, {"piano"}, {});
  tagged.auto_tags = {{"violin, fiddle", 0.6f}, {"acoustic guitar", 0.3f}};
  WordVectorOptions options;
  options.use_auto_tags = true;
  EXPECT_EQ(WordsOfSound(tagged, options),
            (std::vector<std::string>{"piano", "violin, fiddle",
                                      "acoustic guitar"}));
  options.split_auto_tags = true;
  EXPECT_EQ(WordsOfSound(tagged, options),
            (std::vector<std::string>{"piano", "violin, fiddle", "violin",
                                      "fiddle", "acoustic guitar", "acoustic",
                                      "guitar"}));
}

TEST(WordVectorFormatTest, RoundTripsAndDetectsCorruption) {
  StoredWordVector v{7, {1, 5, 9}, {0.5f, -1.0f}};
  const std::string bytes = EncodeWordVector(v);
  EXPECT_EQ(bytes.size(), 4u + 8 + 4 + 3 * 8 + 4 + 2 * 4 + 4);
  auto decoded = DecodeWordVector(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->projection_version, 7u);
  EXPECT_EQ(decoded->ids, v.ids);
  EXPECT_EQ(decoded->mean, v.mean);
  std::string bad = bytes;
  bad[10] ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(DecodeWordVector(bad).status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeWordVector("abc").status()));
}

class WordIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    SoundStoreOptions options;
    options.path = dir_->File("store");
    options.sync_writes = false;
    auto store = SoundStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Index vector of sound `id`: {id * scale, 1}; NotFound for `missing`.
  WordSpace Space(uint64_t version = 1, float scale = 1.0f) {
    WordSpace s;
    s.name = "dsp";
    s.projection_version = version;
    s.vector = [this,
                scale](uint64_t id) -> absl::StatusOr<std::vector<float>> {
      ++reads_;
      if (id == missing_) return absl::NotFoundError("no vector");
      return std::vector<float>{static_cast<float>(id) * scale, 1.0f};
    };
    return s;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundStore> store_;
  int reads_ = 0;
  uint64_t missing_ = 0;
};

TEST_F(WordIndexTest, MeanOfTheFirstSoundsFollowsAddsAndDeletes) {
  WordVectorOptions options;
  options.max_sounds_per_word = 2;
  WordIndex index(options, store_.get());
  ASSERT_TRUE(index.Load(Space()).ok());
  const std::vector<WordSpace> spaces = {Space()};
  ASSERT_TRUE(index.AddSound(Sound(1, {"dog"}, {}), spaces).ok());
  ASSERT_TRUE(index.AddSound(Sound(2, {"dog", "cat"}, {}), spaces).ok());
  reads_ = 0;
  ASSERT_TRUE(index.AddSound(Sound(3, {"dog"}, {}), spaces).ok());
  EXPECT_EQ(reads_, 0);  // beyond the first two: nothing recomputed

  auto dog = index.Get("dsp", "DOG");
  ASSERT_TRUE(dog.ok()) << dog.status();
  EXPECT_EQ(dog->vector, (std::vector<float>{1.5f, 1.0f}));
  EXPECT_EQ(dog->sounds_used, 2);
  EXPECT_EQ(dog->sounds_total, 3);

  // Stored as computed.
  auto bytes = store_->GetWordVector("dsp", "dog");
  ASSERT_TRUE(bytes.ok());
  auto stored = DecodeWordVector(*bytes);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->ids, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(stored->mean, (std::vector<float>{1.5f, 1.0f}));

  ASSERT_TRUE(index.RemoveSound(Sound(1, {"dog"}, {}), spaces).ok());
  dog = index.Get("dsp", "dog");
  ASSERT_TRUE(dog.ok());
  EXPECT_EQ(dog->vector, (std::vector<float>{2.5f, 1.0f}));
  EXPECT_EQ(dog->sounds_total, 2);

  ASSERT_TRUE(index.RemoveSound(Sound(2, {"dog", "cat"}, {}), spaces).ok());
  EXPECT_TRUE(absl::IsNotFound(index.Get("dsp", "cat").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetWordVector("dsp", "cat").status()));
  EXPECT_TRUE(absl::IsNotFound(index.Get("other", "dog").status()));
}

TEST_F(WordIndexTest, IncrementalAddReadsOnlyTheNewSound) {
  WordIndex index(WordVectorOptions(), store_.get());
  const std::vector<WordSpace> spaces = {Space()};
  ASSERT_TRUE(index.Load(Space()).ok());
  for (uint64_t id = 1; id <= 10; ++id) {
    reads_ = 0;
    ASSERT_TRUE(index.AddSound(Sound(id, {"dog"}, {}), spaces).ok());
    EXPECT_EQ(reads_, 1);
  }
  auto dog = index.Get("dsp", "dog");
  ASSERT_TRUE(dog.ok());
  EXPECT_FLOAT_EQ(dog->vector[0], 5.5f);
}

TEST_F(WordIndexTest, LoadKeepsCurrentVectorsAndRecomputesStaleOnes) {
  {
    WordIndex index(WordVectorOptions(), store_.get());
    ASSERT_TRUE(index.Load(Space()).ok());
    for (uint64_t id = 1; id <= 4; ++id) {
      ASSERT_TRUE(
          index.AddSound(Sound(id, {id % 2 ? "odd" : "even"}, {}), {Space()})
              .ok());
    }
  }
  // Reopen with the same memberships: nothing is recomputed.
  {
    WordIndex index(WordVectorOptions(), store_.get());
    for (uint64_t id = 1; id <= 4; ++id) {
      index.AddMembership(Sound(id, {id % 2 ? "odd" : "even"}, {}));
    }
    reads_ = 0;
    ASSERT_TRUE(index.Load(Space()).ok());
    EXPECT_EQ(reads_, 0);
    EXPECT_EQ(index.Get("dsp", "odd")->vector, (std::vector<float>{2, 1}));
  }
  // Sound 4 deleted while the index was not told (a crash), and a new
  // projection: the stale words are recomputed, a vanished word deleted.
  WordIndex index(WordVectorOptions(), store_.get());
  for (uint64_t id = 1; id <= 3; id += 2) {
    index.AddMembership(Sound(id, {"odd"}, {}));
  }
  index.AddMembership(Sound(2, {"even"}, {}));
  ASSERT_TRUE(index.Load(Space(/*version=*/2, /*scale=*/10)).ok());
  EXPECT_EQ(index.Get("dsp", "odd")->vector, (std::vector<float>{20, 1}));
  EXPECT_EQ(index.Get("dsp", "even")->vector, (std::vector<float>{20, 1}));
  // The vocabulary is these two words: "odd"'s only neighbour is "even".
  auto nearest = index.Nearest("dsp", "odd", 10);
  ASSERT_TRUE(nearest.ok()) << nearest.status();
  ASSERT_EQ(nearest->size(), 1u);
  EXPECT_EQ((*nearest)[0].word, "even");

  WordIndex gone(WordVectorOptions(), store_.get());
  gone.AddMembership(Sound(1, {"odd"}, {}));
  ASSERT_TRUE(gone.Load(Space(2, 10)).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetWordVector("dsp", "even").status()));
}

TEST_F(WordIndexTest, SimilarityNearestAndSoundsWithoutVectors) {
  WordIndex index(WordVectorOptions(), store_.get());
  ASSERT_TRUE(index.Load(Space()).ok());
  missing_ = 3;  // sound 3 has no vector in this space
  const std::vector<WordSpace> spaces = {Space()};
  ASSERT_TRUE(index.AddSound(Sound(1, {"a", "b"}, {}), spaces).ok());
  ASSERT_TRUE(index.AddSound(Sound(2, {"b", "c"}, {}), spaces).ok());
  ASSERT_TRUE(index.AddSound(Sound(3, {"d"}, {}), spaces).ok());
  EXPECT_TRUE(absl::IsNotFound(index.Get("dsp", "d").status()));
  auto sim = index.Similarity("dsp", "a", "a");
  ASSERT_TRUE(sim.ok());
  EXPECT_NEAR(sim->cosine, 1.0, 1e-9);
  auto nearest = index.Nearest("dsp", "a", 5);
  ASSERT_TRUE(nearest.ok());
  ASSERT_EQ(nearest->size(), 2u);  // b, c (a itself and d left out)
  EXPECT_EQ((*nearest)[0].word, "b");
  EXPECT_GT((*nearest)[0].cosine, (*nearest)[1].cosine);
  EXPECT_TRUE(absl::IsInvalidArgument(index.Nearest("dsp", "a", 0).status()));
}

}  // namespace
}  // namespace soundsearch
