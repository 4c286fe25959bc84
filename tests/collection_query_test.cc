// The collection's query layer (core/collection/collection_queries.h):
// several examples for and against, paging and grouping of ranked answers,
// the new filter clauses, text queries from word vectors, listing and
// describing, on a real collection (RocksDB, FFmpeg decoding of WAV bytes
// made here, the built-in dsp space).
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soundsearch/sound_collection.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

constexpr int kRate = 22050;

class CollectionQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    SpaceConfig space = DefaultSpaceConfig();
    space.pca_dims = 8;
    space.min_fit_items = 1000;  // stays unfitted: vectors as pooled
    options.spaces = {space};
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
    for (int n = 0; n < 6; ++n) tones_.push_back(Add(0, n));
    for (int n = 0; n < 6; ++n) noises_.push_back(Add(1, n));
  }

  // WAV bytes: a tone (kind 0) or noise (kind 1), distinct per `n`,
  // `seconds` long.
  std::string Sound(int kind, int n, double seconds = 0.6) {
    std::vector<float> pcm =
        kind == 0 ? test::Sine(300 + 13 * n, seconds, kRate, 0.5f)
                  : test::WhiteNoise(seconds, kRate, 0.3f, 1 + n);
    const std::string path = dir_->File(absl::StrCat("s", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }

  uint64_t Add(int kind, int n, double seconds = 0.6) {
    SoundInput input;
    input.labels = {kind == 0 ? "tone" : "noise"};
    input.tags = {kind == 0 ? "sine" : "hiss", "demo"};
    auto added = collection_->Add(Sound(kind, n, seconds), input);
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }

  static std::vector<uint64_t> Ids(const QueryResult& r) {
    std::vector<uint64_t> ids;
    for (const QueryHit& h : r.hits) ids.push_back(h.id);
    return ids;
  }
  bool IsTone(uint64_t id) const {
    return std::find(tones_.begin(), tones_.end(), id) != tones_.end();
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundCollection> collection_;
  std::vector<uint64_t> tones_, noises_;
  int counter_ = 0;
};

// ---- Several examples -------------------------------------------------------

TEST_F(CollectionQueryTest, OnePositiveIsQueryById) {
  QueryOptions options;
  options.k = 7;
  auto by_id = collection_->QueryById(tones_[0], options);
  ExampleQuery query;
  query.positive = {{tones_[0], {}}};
  auto by_examples = collection_->QueryByExamples(query, options);
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  ASSERT_TRUE(by_examples.ok()) << by_examples.status();
  ASSERT_EQ(by_id->hits.size(), 7u);
  for (size_t i = 0; i < by_id->hits.size(); ++i) {
    EXPECT_EQ(by_id->hits[i].id, by_examples->hits[i].id);
    EXPECT_FLOAT_EQ(by_id->hits[i].score, by_examples->hits[i].score);
  }
  const std::vector<uint64_t> ids = Ids(*by_id);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), tones_[0]), 0);
}

TEST_F(CollectionQueryTest, SeveralExamplesAreLeftOutOfTheResults) {
  for (ExampleStrategy strategy :
       {ExampleStrategy::kAverage, ExampleStrategy::kBestScore}) {
    ExampleQuery query;
    query.strategy = strategy;
    query.positive = {{tones_[0], {}}, {tones_[1], {}}};
    query.negative = {{noises_[0], {}}};
    QueryOptions options;
    options.k = 9;  // every other sound
    auto result = collection_->QueryByExamples(query, options);
    ASSERT_TRUE(result.ok()) << result.status();
    const std::vector<uint64_t> ids = Ids(*result);
    EXPECT_EQ(ids.size(), 9u);
    for (uint64_t example : {tones_[0], tones_[1], noises_[0]}) {
      EXPECT_EQ(std::count(ids.begin(), ids.end(), example), 0);
    }
    // The other four tones come first.
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(IsTone(ids[i])) << i;
    EXPECT_FALSE(result->more);
  }
}

TEST_F(CollectionQueryTest, IncludeQueryKeepsThePositivesOnly) {
  ExampleQuery query;
  query.positive = {{tones_[0], {}}};
  query.negative = {{noises_[0], {}}};
  QueryOptions options;
  options.k = 12;
  options.include_query = true;
  auto result = collection_->QueryByExamples(query, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const std::vector<uint64_t> ids = Ids(*result);
  EXPECT_EQ(ids.size(), 11u);
  EXPECT_EQ(ids[0], tones_[0]);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), noises_[0]), 0);
}

TEST_F(CollectionQueryTest, BestScoreReportsBothSidesAndRanksDominatedLast) {
  ExampleQuery query;
  query.strategy = ExampleStrategy::kBestScore;
  query.positive = {{tones_[0], {}}};
  query.negative = {{noises_[0], {}}};
  QueryOptions options;
  options.k = 10;
  auto result = collection_->QueryByExamples(query, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->hits.size(), 10u);
  bool seen_dominated = false;
  for (const QueryHit& hit : result->hits) {
    ASSERT_EQ(hit.sources.size(), 2u);
    EXPECT_EQ(hit.sources[0].source, "positive");
    EXPECT_EQ(hit.sources[1].source, "negative");
    EXPECT_FLOAT_EQ(hit.score, hit.sources[0].score);
    const bool dominated = hit.sources[1].score > hit.sources[0].score;
    if (seen_dominated) EXPECT_TRUE(dominated) << "dominant after dominated";
    seen_dominated = seen_dominated || dominated;
    // Noises are nearer the noise example than the tone one.
    EXPECT_EQ(dominated, !IsTone(hit.id)) << hit.id;
  }
}

TEST_F(CollectionQueryTest, AudioAndIdExamplesMix) {
  const std::string audio = Sound(0, 3);  // the bytes of tones_[3]
  ExampleQuery query;
  query.positive = {{0, audio}, {tones_[1], {}}};
  QueryOptions options;
  options.k = 3;
  auto result = collection_->QueryByExamples(query, options);
  ASSERT_TRUE(result.ok()) << result.status();
  for (uint64_t id : Ids(*result)) EXPECT_TRUE(IsTone(id));
  EXPECT_GT(result->embed_seconds, 0.0);
}

TEST_F(CollectionQueryTest, ExampleErrors) {
  QueryOptions options;
  ExampleQuery none;
  EXPECT_EQ(collection_->QueryByExamples(none, options).status().code(),
            absl::StatusCode::kInvalidArgument);
  ExampleQuery cancel;
  cancel.positive = {{tones_[0], {}}};
  cancel.negative = {{tones_[0], {}}};
  auto cancelled = collection_->QueryByExamples(cancel, options);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(cancelled.status().message(), HasSubstr("cancel out"));
  ExampleQuery unknown;
  unknown.positive = {{tones_[0], {}}};
  unknown.negative = {{999, {}}};
  EXPECT_EQ(collection_->QueryByExamples(unknown, options).status().code(),
            absl::StatusCode::kNotFound);
  ExampleQuery weighted = cancel;
  weighted.negative_weight = 0.5f;  // mean(P) - 0.5 mean(N): no longer zero
  EXPECT_TRUE(collection_->QueryByExamples(weighted, options).ok());
  for (float w : {0.0f, 1.5f}) {
    weighted.negative_weight = w;
    EXPECT_EQ(collection_->QueryByExamples(weighted, options).status().code(),
              absl::StatusCode::kInvalidArgument)
        << w;
  }
  ExampleQuery bad_audio;
  bad_audio.positive = {{0, "not audio at all"}};
  EXPECT_EQ(collection_->QueryByExamples(bad_audio, options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- Paging and grouping ----------------------------------------------------

TEST_F(CollectionQueryTest, PagesConcatenateToTheWholeRanking) {
  QueryOptions all;
  all.k = 11;
  auto whole = collection_->QueryById(tones_[2], all);
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_FALSE(whole->more);
  std::vector<uint64_t> paged;
  for (int offset = 0; offset < 12; offset += 4) {
    QueryOptions page;
    page.k = 4;
    page.offset = offset;
    auto result = collection_->QueryById(tones_[2], page);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->more, offset + 4 < 11) << offset;
    for (uint64_t id : Ids(*result)) paged.push_back(id);
  }
  EXPECT_EQ(paged, Ids(*whole));
  QueryOptions past;
  past.offset = 50;
  auto empty = collection_->QueryById(tones_[2], past);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->hits.empty());
  EXPECT_FALSE(empty->more);
  past.offset = -1;
  EXPECT_EQ(collection_->QueryById(tones_[2], past).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CollectionQueryTest, GroupByLabelKeepsTheBestOfEachGroup) {
  QueryOptions options;
  options.k = 5;
  options.group_by = GroupBy::kLabel;
  auto grouped = collection_->QueryById(tones_[0], options);
  ASSERT_TRUE(grouped.ok()) << grouped.status();
  ASSERT_EQ(grouped->hits.size(), 2u);  // two labels
  EXPECT_FALSE(grouped->more);
  QueryOptions plain;
  plain.k = 11;
  auto ranking = collection_->QueryById(tones_[0], plain);
  ASSERT_TRUE(ranking.ok());
  // The best of each label, in ranking order.
  EXPECT_EQ(grouped->hits[0].id, ranking->hits[0].id);
  uint64_t first_noise = 0;
  for (const QueryHit& h : ranking->hits) {
    if (!IsTone(h.id)) {
      first_noise = h.id;
      break;
    }
  }
  EXPECT_EQ(grouped->hits[1].id, first_noise);
  options.offset = 1;
  options.k = 1;
  auto second = collection_->QueryById(tones_[0], options);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->hits.size(), 1u);
  EXPECT_EQ(second->hits[0].id, first_noise);
}

// ---- Filters ----------------------------------------------------------------

TEST_F(CollectionQueryTest, DurationAndTimeFilters) {
  const int64_t before = absl::ToUnixMicros(absl::Now());
  const uint64_t long_tone = Add(0, 40, /*seconds=*/2.0);
  QueryOptions options;
  options.k = 20;
  options.filter.min_duration_seconds = 1.5;
  auto result = collection_->QueryById(tones_[0], options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Ids(*result), std::vector<uint64_t>{long_tone});
  options.filter = SoundFilter();
  options.filter.added_after_unix_micros = before;
  result = collection_->QueryById(tones_[0], options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(Ids(*result), std::vector<uint64_t>{long_tone});
  options.filter = SoundFilter();
  options.filter.added_before_unix_micros = before;
  options.filter.max_duration_seconds = 1.0;
  result = collection_->QueryById(tones_[0], options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->hits.size(), 11u);
}

// ---- Text from word vectors
// --------------------------------------------------

TEST_F(CollectionQueryTest, TextMatchesWordVectorsThroughPluralsAndIng) {
  TextQueryOptions options;
  options.query.k = 6;
  auto result = collection_->QueryByText("Hissing", options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->words.size(), 1u);
  EXPECT_EQ(result->words[0].word, "hiss");
  EXPECT_EQ(result->words[0].text, "hissing");
  EXPECT_EQ(result->words[0].sounds, 6);
  EXPECT_TRUE(result->classes.empty());  // no class-score space here
  ASSERT_EQ(result->result.hits.size(), 6u);
  for (const QueryHit& hit : result->result.hits) {
    EXPECT_FALSE(IsTone(hit.id));
    ASSERT_EQ(hit.sources.size(), 1u);
    EXPECT_EQ(hit.sources[0].source, "words");
    EXPECT_FLOAT_EQ(hit.sources[0].score, hit.score);
  }
  EXPECT_EQ(result->result.hits[0].sources[0].rank, 1);

  auto tones = collection_->QueryByText("the TONES, purple", options);
  ASSERT_TRUE(tones.ok()) << tones.status();
  for (const QueryHit& hit : tones->result.hits) EXPECT_TRUE(IsTone(hit.id));
  EXPECT_EQ(tones->unmatched, std::vector<std::string>{"purple"});
}

TEST_F(CollectionQueryTest, TextErrors) {
  TextQueryOptions options;
  auto empty = collection_->QueryByText("  ", options);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(), HasSubstr("empty"));
  EXPECT_EQ(collection_->QueryByText("the of", options).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto unknown = collection_->QueryByText("hsis", options);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(),
              HasSubstr("nearest known words: hiss"));
  options.query.space = "nope";
  EXPECT_EQ(collection_->QueryByText("hiss", options).status().code(),
            absl::StatusCode::kNotFound);
  options.query.space = "";
  options.class_space = "dsp";  // not a class-score space
  EXPECT_EQ(collection_->QueryByText("hiss", options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CollectionQueryTest, TextPagesAndFilters) {
  TextQueryOptions options;
  options.query.k = 2;
  options.query.offset = 4;
  auto page = collection_->QueryByText("hiss", options);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->result.hits.size(), 2u);
  EXPECT_TRUE(page->result.more);  // tones follow, further away
  options.query.offset = 0;
  options.query.k = 20;
  options.query.filter.labels_any = {"noise"};
  auto filtered = collection_->QueryByText("hiss", options);
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ(filtered->result.hits.size(), 6u);
}

// ---- Listing and describing
// ---------------------------------------------------

TEST_F(CollectionQueryTest, ListSoundsPagesByIdWithFilters) {
  ListRequest request;
  request.limit = 5;
  std::vector<uint64_t> seen;
  while (true) {
    auto page = collection_->ListSounds(request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const SoundRecord& r : page->sounds) seen.push_back(r.id);
    if (!page->more) break;
    request.after_id = page->sounds.back().id;
  }
  std::vector<uint64_t> all = tones_;
  all.insert(all.end(), noises_.begin(), noises_.end());
  EXPECT_EQ(seen, all);
  ListRequest noise;
  noise.filter.tags_all = {"hiss"};
  noise.limit = 100;
  auto page = collection_->ListSounds(noise);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->sounds.size(), 6u);
  EXPECT_EQ(page->sounds[0].id, noises_[0]);
  EXPECT_FALSE(page->more);
  noise.limit = 0;
  EXPECT_EQ(collection_->ListSounds(noise).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(CollectionQueryTest, DescribeGivesTheNearestWordsBeforeTheDeadline) {
  DescribeOptions options;
  options.words = 3;
  auto by_id = collection_->DescribeSound({noises_[2], {}}, options);
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->space, "dsp");
  EXPECT_EQ(by_id->class_space, "");
  ASSERT_EQ(by_id->words.size(), 3u);
  const std::set<std::string> noise_words = {"hiss", "noise"};
  EXPECT_EQ(noise_words.count(by_id->words[0].word), 1u)
      << by_id->words[0].word;
  EXPECT_GE(by_id->words[0].cosine, by_id->words[1].cosine);
  auto by_audio = collection_->DescribeSound({0, Sound(0, 9)}, options);
  ASSERT_TRUE(by_audio.ok()) << by_audio.status();
  const std::set<std::string> tone_words = {"sine", "tone"};
  EXPECT_EQ(tone_words.count(by_audio->words[0].word), 1u);
  EXPECT_EQ(collection_->DescribeSound({999, {}}, options).status().code(),
            absl::StatusCode::kNotFound);
  // An upload is not decoded past the caller's deadline; a stored sound is
  // described without decoding anything.
  options.deadline = absl::Now() - absl::Seconds(1);
  auto late = collection_->DescribeSound({0, Sound(0, 9)}, options);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded)
      << late.status();
  EXPECT_TRUE(collection_->DescribeSound({noises_[2], {}}, options).ok());
}

// ---- The "text" section of a config file -------------------------------------

TEST(TextQueryConfigTest, ReadsTheTextSection) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  const std::string path = dir->File("config.json");
  ASSERT_TRUE(test::WriteFileBytes(path, R"({"spaces": [],
      "text": {"ontology": "onto/crowd.json", "class_match": "documents",
               "max_classes": 5}})")
                  .ok());
  auto config = LoadTextQueryConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->ontology_path, dir->File("onto/crowd.json"));
  EXPECT_EQ(config->class_match, ClassMatch::kDocuments);
  EXPECT_EQ(config->max_classes, 5);

  ASSERT_TRUE(test::WriteFileBytes(path, R"({"spaces": []})").ok());
  config = LoadTextQueryConfigFile(path);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->ontology_path, "");
  EXPECT_EQ(config->class_match, ClassMatch::kNames);
  EXPECT_EQ(config->max_classes, 3);

  for (const char* bad :
       {R"({"text": {"class_match": "fuzzy"}})", R"({"text": {"max_classes": 0}})",
        R"({"text": {"ontolgy": "x"}})", R"({"text": []})"}) {
    ASSERT_TRUE(test::WriteFileBytes(path, bad).ok());
    config = LoadTextQueryConfigFile(path);
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(config.status().message(), HasSubstr("text")) << bad;
  }
  EXPECT_EQ(LoadTextQueryConfigFile(dir->File("none.json")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(TextQueryConfigTest, AMissingOntologyFailsOpen) {
  auto dir = test::TempDir::Create();
  ASSERT_TRUE(dir.ok());
  CollectionOptions options;
  options.data_dir = dir->File("data");
  options.text.ontology_path = dir->File("missing.json");
  auto opened = SoundCollection::Open(options);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(opened.status().message(), HasSubstr("ontology"));
}

}  // namespace
}  // namespace soundsearch
