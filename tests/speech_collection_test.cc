// A SoundCollection with a speech space: recognised words and phones stored
// with the sound and returned by Get, words searchable as "spoken:" tags,
// the phone re-ranking in the query path, the fitted tf-idf kept across a
// restart, and the auto-tag gate. Real RocksDB, FFmpeg, PocketSphinx, and
// audio that espeak-ng writes for the test.
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "soundsearch/sequence_distance.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/speech_kinds.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

SpaceConfig SpeechSpace() {
  SpaceConfig c;
  c.name = "speech";
  c.encoder = EncoderOptions();
  c.encoder.kind = "speech";
  c.encoder.sample_rate = 16000;
  c.pooling = Pooling::kMean;
  c.scaling = Scaling::kNone;
  c.pca_dims = 0;
  c.min_fit_items = 4;
  c.rerank.kind = RerankKind::kPhoneEdit;
  c.rerank.top_n = 10;
  c.rerank.weight = 0.5f;
  return c;
}

class SpeechCollectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(RegisterSpeechKinds().ok()); }
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
  }
  void Open(std::vector<SpaceConfig> spaces) {
    collection_.reset();
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    options.spaces = std::move(spaces);
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
  }
  std::string Say(const std::string& text, const std::string& voice,
                  int speed) {
    const std::string path = dir_->File(absl::StrCat("say", n_++, ".wav"));
    const std::string cmd = absl::StrCat("espeak-ng -v ", voice, " -s ", speed,
                                         " -w ", path, " '", text, "'");
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return *test::ReadFileBytes(path);
  }
  uint64_t Add(const std::string& text, const std::string& voice, int speed) {
    SoundInput input;
    input.name = text;
    input.labels = {text};
    auto added = collection_->Add(Say(text, voice, speed), input);
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundCollection> collection_;
  int n_ = 0;
};

TEST_F(SpeechCollectionTest, SpokenContentIsStoredTaggedAndReranks) {
  Open({SpeechSpace()});
  const uint64_t seven = Add("seven", "en-us", 150);
  Add("seven", "en-gb", 120);
  Add("yes", "en-us", 150);
  Add("yes", "en-gb-scotland", 170);
  Add("stop", "en-us", 140);
  ASSERT_TRUE(collection_->Spaces()[0].fitted);  // min_fit_items 4

  auto record = collection_->Get(seven);
  ASSERT_TRUE(record.ok());
  ASSERT_EQ(record->spoken.size(), 1u);
  const SpokenContent& spoken = record->spoken[0];
  EXPECT_EQ(spoken.space, "speech");
  ASSERT_FALSE(spoken.words.empty());
  EXPECT_FALSE(spoken.phones.empty());

  // Its words are tags of kind "spoken".
  QueryOptions tagged;
  tagged.k = 10;
  tagged.include_query = true;
  tagged.filter.tags_all = {absl::StrCat("spoken:", spoken.words[0].word)};
  auto hits = collection_->QueryById(seven, tagged);
  ASSERT_TRUE(hits.ok()) << hits.status();
  bool found = false;
  for (const QueryHit& h : hits->hits) found |= h.id == seven;
  EXPECT_TRUE(found);
  tagged.filter.tags_all = {"spoken:no-such-word"};
  hits = collection_->QueryById(seven, tagged);
  ASSERT_TRUE(hits.ok());
  EXPECT_TRUE(hits->hits.empty());

  // Re-ranked scores: (1 - w) * cosine + w * phone similarity, best first.
  QueryOptions q;
  q.k = 4;
  auto ranked = collection_->QueryById(seven, q);
  ASSERT_TRUE(ranked.ok()) << ranked.status();
  ASSERT_EQ(ranked->hits.size(), 4u);
  for (size_t i = 0; i < ranked->hits.size(); ++i) {
    if (i > 0) EXPECT_GE(ranked->hits[i - 1].score, ranked->hits[i].score);
    EXPECT_LE(ranked->hits[i].score, 1.0f + 1e-5f);
  }
  // Paging and min_score apply to the re-ranked list (the query layer
  // re-ranks before paging).
  QueryOptions page = q;
  page.offset = 1;
  page.k = 2;
  auto paged = collection_->QueryById(seven, page);
  ASSERT_TRUE(paged.ok()) << paged.status();
  ASSERT_EQ(paged->hits.size(), 2u);
  EXPECT_TRUE(paged->more);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(paged->hits[i].id, ranked->hits[i + 1].id);
    EXPECT_FLOAT_EQ(paged->hits[i].score, ranked->hits[i + 1].score);
  }
  QueryOptions floor = q;
  floor.min_score = ranked->hits[1].score;
  auto floored = collection_->QueryById(seven, floor);
  ASSERT_TRUE(floored.ok()) << floored.status();
  ASSERT_GE(floored->hits.size(), 2u);
  for (const QueryHit& h : floored->hits) {
    EXPECT_GE(h.score, *floor.min_score);
  }
  EXPECT_EQ(floored->hits[0].id, ranked->hits[0].id);
  // By audio: the example's own recognised phones re-rank; its own recording
  // (the same audio) comes first.
  auto by_audio = collection_->QueryByAudio(Say("seven", "en-us", 150), q);
  ASSERT_TRUE(by_audio.ok()) << by_audio.status();
  ASSERT_FALSE(by_audio->hits.empty());
  EXPECT_EQ(by_audio->hits[0].id, seven);
  EXPECT_NEAR(by_audio->hits[0].score, 1.0f, 1e-4f);

  const SpaceConfig plain_config = [] {
    SpaceConfig c = SpeechSpace();
    c.rerank.kind = RerankKind::kNone;
    return c;
  }();
  // Without re-ranking the scores are the cosines alone; the phone part
  // accounts for the difference.
  const uint64_t top = ranked->hits[0].id;
  auto top_record = collection_->Get(top);
  ASSERT_TRUE(top_record.ok());
  Open({plain_config});
  auto plain = collection_->QueryById(seven, q);
  ASSERT_TRUE(plain.ok());
  for (const QueryHit& h : plain->hits) {
    if (h.id != top) continue;
    const double expect = PhoneRerankScore(h.score, 0.5, spoken.phones,
                                           top_record->spoken[0].phones);
    EXPECT_NEAR(ranked->hits[0].score, expect, 1e-5);
  }
}

TEST_F(SpeechCollectionTest, FittedTermWeightsSurviveARestart) {
  Open({SpeechSpace()});
  const uint64_t a = Add("left", "en-us", 150);
  Add("left", "en-gb", 130);
  Add("right", "en-us", 150);
  Add("right", "en-gb", 130);
  const uint64_t version = collection_->Spaces()[0].projection_version;
  ASSERT_GT(version, 0u);
  QueryOptions q;
  q.k = 3;
  auto before = collection_->QueryById(a, q);
  ASSERT_TRUE(before.ok());
  Open({SpeechSpace()});
  EXPECT_EQ(collection_->Spaces()[0].projection_version, version);
  auto after = collection_->QueryById(a, q);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->hits.size(), before->hits.size());
  for (size_t i = 0; i < after->hits.size(); ++i) {
    EXPECT_EQ(after->hits[i].id, before->hits[i].id);
    EXPECT_FLOAT_EQ(after->hits[i].score, before->hits[i].score);
  }
}

TEST_F(SpeechCollectionTest, AutoTagGateSkipsRecognition) {
  SpaceConfig gated = SpeechSpace();
  gated.only_if_auto_tags = {"speech"};  // no space before it tags anything
  gated.rerank.kind = RerankKind::kNone;
  Open({gated});
  const uint64_t id = Add("seven", "en-us", 150);
  auto record = collection_->Get(id);
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->spoken.empty());
  Add("yes", "en-us", 150);
  QueryOptions q;
  auto hits = collection_->QueryById(id, q);
  ASSERT_TRUE(hits.ok()) << hits.status();
  ASSERT_EQ(hits->hits.size(), 1u);
  // Both have the "nothing recognised" vector (TermLayout): alike.
  EXPECT_NEAR(hits->hits[0].score, 1.0f, 1e-5f);
}

}  // namespace
}  // namespace soundsearch
