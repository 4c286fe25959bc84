// Query expansion (core/collection/query_expansion.h, docs/api.md "Query
// expansion") on a real collection (RocksDB, FFmpeg decoding of WAV bytes made
// here, the built-in dsp space, unfitted): with alpha 0 every neighbour
// weighs 1, so the expanded query of example q with neighbours n1..nk is the
// mean of q, n1..nk, exactly the average-strategy query with those examples
// (include_query keeps them in the results); the weights and the mean are
// checked on their own; the space's config "expand" is
// the default, a query's own setting overrides it, and bad settings are
// InvalidArgument.
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/space_config.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

constexpr int kRate = 22050;

class QueryExpansionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    OpenWith(NeighbourhoodOptions{});
    for (int n = 0; n < 6; ++n) tones_.push_back(Add(0, n));
    for (int n = 0; n < 6; ++n) noises_.push_back(Add(1, n));
  }

  void OpenWith(NeighbourhoodOptions expand) {
    collection_.reset();
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    SpaceConfig space = DefaultSpaceConfig();
    space.pca_dims = 8;
    space.min_fit_items = 1000;  // stays unfitted: vectors as pooled
    space.expand = expand;
    options.spaces = {space};
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
  }

  std::string Sound(int kind, int n) {
    std::vector<float> pcm = kind == 0
                                 ? test::Sine(300 + 13 * n, 0.6, kRate, 0.5f)
                                 : test::WhiteNoise(0.6, kRate, 0.3f, 1 + n);
    const std::string path = dir_->File(absl::StrCat("s", counter_++, ".wav"));
    EXPECT_TRUE(test::WritePcm16Wav(path, pcm, kRate, 1).ok());
    return *test::ReadFileBytes(path);
  }

  uint64_t Add(int kind, int n) {
    SoundInput input;
    input.labels = {kind == 0 ? "tone" : "noise"};
    auto added = collection_->Add(Sound(kind, n), input);
    EXPECT_TRUE(added.ok()) << added.status();
    return added.ok() ? added->id : 0;
  }

  // The ids of the plain (unexpanded) query's first k hits, the example
  // itself left out.
  std::vector<uint64_t> Nearest(const QueryExample& example, int k) {
    QueryOptions options;
    options.k = k;
    options.expand_neighbours = 0;
    ExampleQuery query;
    query.positive = {example};
    auto r = collection_->QueryByExamples(query, options);
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<uint64_t> ids;
    if (r.ok()) {
      for (const QueryHit& h : r->hits) ids.push_back(h.id);
    }
    return ids;
  }

  // The average-strategy query of `example` and the sounds `with`, keeping
  // them all in the results.
  QueryResult MeanQuery(const QueryExample& example,
                        const std::vector<uint64_t>& with,
                        const QueryOptions& base) {
    QueryOptions options = base;
    options.include_query = true;
    options.expand_neighbours = 0;
    ExampleQuery query;
    query.positive = {example};
    for (uint64_t id : with) query.positive.push_back({id, {}});
    auto r = collection_->QueryByExamples(query, options);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : QueryResult{};
  }

  static void ExpectSameHits(const QueryResult& got, const QueryResult& want) {
    ASSERT_EQ(got.hits.size(), want.hits.size());
    for (size_t i = 0; i < got.hits.size(); ++i) {
      EXPECT_EQ(got.hits[i].id, want.hits[i].id) << i;
      EXPECT_NEAR(got.hits[i].score, want.hits[i].score, 1e-5) << i;
    }
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundCollection> collection_;
  std::vector<uint64_t> tones_, noises_;
  int counter_ = 0;
};

TEST_F(QueryExpansionTest, OffByDefaultAndWithZeroNeighbours) {
  QueryOptions options;
  options.k = 11;
  auto plain = collection_->QueryById(tones_[0], options);
  options.expand_neighbours = 0;
  options.expand_alpha = 7.0f;
  auto off = collection_->QueryById(tones_[0], options);
  ASSERT_TRUE(plain.ok()) << plain.status();
  ASSERT_TRUE(off.ok()) << off.status();
  ExpectSameHits(*off, *plain);
}

TEST_F(QueryExpansionTest, ExpandedQueryIsTheMeanWithItsNeighbours) {
  for (int k : {1, 3}) {
    const QueryExample example{tones_[2], {}};
    const std::vector<uint64_t> nearest = Nearest(example, k);
    ASSERT_EQ(nearest.size(), static_cast<size_t>(k));
    QueryOptions options;
    options.k = 8;
    options.expand_neighbours = k;
    options.expand_alpha = 0.0f;  // every neighbour weighs 1
    auto expanded = collection_->QueryById(tones_[2], options);
    ASSERT_TRUE(expanded.ok()) << expanded.status();
    // The example itself is left out of the expanded query's results, as of
    // any by-id query; the mean query keeps it: compare without it.
    QueryOptions more = options;
    more.k = 9;
    QueryResult want = MeanQuery(example, nearest, more);
    want.hits.erase(
        std::remove_if(want.hits.begin(), want.hits.end(),
                       [&](const QueryHit& h) { return h.id == tones_[2]; }),
        want.hits.end());
    want.hits.resize(8);
    ExpectSameHits(*expanded, want);
  }
}

TEST_F(QueryExpansionTest, UploadedExampleIsExpandedToo) {
  const std::string audio = Sound(0, 40);
  const QueryExample example{0, audio};
  const std::vector<uint64_t> nearest = Nearest(example, 2);
  ASSERT_EQ(nearest.size(), 2u);
  QueryOptions options;
  options.k = 12;
  options.expand_neighbours = 2;
  options.expand_alpha = 0.0f;
  auto expanded = collection_->QueryByAudio(audio, options);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  ExpectSameHits(*expanded, MeanQuery(example, nearest, options));
}

TEST_F(QueryExpansionTest, NeighboursComeFromTheWholeIndexFiltersFromTheList) {
  const QueryExample example{tones_[0], {}};
  const std::vector<uint64_t> nearest = Nearest(example, 2);
  for (uint64_t id : nearest) {
    EXPECT_NE(std::find(tones_.begin(), tones_.end(), id), tones_.end());
  }
  QueryOptions options;
  options.k = 6;
  options.filter.labels_any = {"noise"};
  options.expand_neighbours = 2;
  options.expand_alpha = 0.0f;
  auto expanded = collection_->QueryById(tones_[0], options);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  ASSERT_EQ(expanded->hits.size(), 6u);
  for (const QueryHit& h : expanded->hits) {
    EXPECT_NE(std::find(noises_.begin(), noises_.end(), h.id), noises_.end());
  }
  ExpectSameHits(*expanded, MeanQuery(example, nearest, options));
}

TEST(NeighbourhoodTest, WeightsArePowersOfPositiveScores) {
  EXPECT_FLOAT_EQ(NeighbourWeight(0.5f, 3.0f), 0.125f);
  EXPECT_FLOAT_EQ(NeighbourWeight(0.5f, 0.0f), 1.0f);
  EXPECT_FLOAT_EQ(NeighbourWeight(0.0f, 0.0f), 0.0f);
  EXPECT_FLOAT_EQ(NeighbourWeight(-0.5f, 1.0f), 0.0f);
}

TEST(NeighbourhoodTest, MeanWeighsItselfOne) {
  const std::vector<float> self = {1, 0};
  const std::vector<float> a = {0, 1}, b = {3, 3};
  const float* rows[] = {a.data(), b.data()};
  const float weights[] = {0.5f, 0.0f};
  std::vector<float> out(2);
  NeighbourhoodMean(self, rows, weights, absl::MakeSpan(out));
  EXPECT_FLOAT_EQ(out[0], 1.0f / 1.5f);
  EXPECT_FLOAT_EQ(out[1], 0.5f / 1.5f);
  std::vector<float> in_place = self;
  NeighbourhoodMean(in_place, rows, weights, absl::MakeSpan(in_place));
  EXPECT_EQ(in_place, out);
  EXPECT_EQ(NeighbourhoodText({}), "off");
  EXPECT_EQ(NeighbourhoodText({3, 2.0f}), "3 neighbours, alpha 2");
}

TEST_F(QueryExpansionTest, SpaceConfigIsTheDefaultAndAQueryOverridesIt) {
  QueryOptions options;
  options.k = 10;
  options.expand_neighbours = 2;
  options.expand_alpha = 0.0f;
  auto explicit_on = collection_->QueryById(tones_[4], options);
  ASSERT_TRUE(explicit_on.ok()) << explicit_on.status();
  QueryOptions none;
  none.k = 10;
  auto plain = collection_->QueryById(tones_[4], none);
  ASSERT_TRUE(plain.ok()) << plain.status();

  OpenWith(NeighbourhoodOptions{2, 0.0f});
  auto by_config = collection_->QueryById(tones_[4], none);
  ASSERT_TRUE(by_config.ok()) << by_config.status();
  ExpectSameHits(*by_config, *explicit_on);
  QueryOptions off = none;
  off.expand_neighbours = 0;
  auto turned_off = collection_->QueryById(tones_[4], off);
  ASSERT_TRUE(turned_off.ok()) << turned_off.status();
  ExpectSameHits(*turned_off, *plain);
}

// The batched by-id path (BatchQueryByExample) expands as QueryById does:
// with the space's config "expand" and with a query's own setting.
TEST_F(QueryExpansionTest, BatchQueriesAreExpandedAsQueryById) {
  QueryOptions none;
  none.k = 10;
  auto plain = collection_->QueryById(tones_[4], none);
  ASSERT_TRUE(plain.ok()) << plain.status();
  QueryOptions own = none;
  own.expand_neighbours = 3;
  own.expand_alpha = 0.0f;
  for (bool by_config : {false, true}) {
    SCOPED_TRACE(by_config);
    if (by_config) OpenWith(NeighbourhoodOptions{2, 0.0f});
    std::vector<SoundCollection::IdQuery> batch(3);
    batch[0].id = tones_[4];
    batch[0].options = none;
    batch[1].id = tones_[4];
    batch[1].options = own;
    batch[2].id = noises_[1];
    batch[2].options = none;
    auto answers = collection_->QueryByIdBatch(batch);
    ASSERT_EQ(answers.size(), batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      SCOPED_TRACE(i);
      auto one = collection_->QueryById(batch[i].id, batch[i].options);
      ASSERT_TRUE(one.ok()) << one.status();
      ASSERT_TRUE(answers[i].ok()) << answers[i].status();
      ExpectSameHits(*answers[i], *one);
    }
    // The expanded answers are not the plain one.
    bool differs = false;
    for (size_t j = 0; j < plain->hits.size(); ++j) {
      differs |= answers[1]->hits[j].score != plain->hits[j].score;
    }
    EXPECT_TRUE(differs);
  }
}

TEST_F(QueryExpansionTest, BadSettingsAreInvalidArgument) {
  QueryOptions options;
  options.expand_neighbours = 101;
  auto r = collection_->QueryById(tones_[0], options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("expand.neighbours"));
  options.expand_neighbours = 3;
  options.expand_alpha = -1.0f;
  r = collection_->QueryById(tones_[0], options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("expand.alpha"));
}

TEST(QueryExpansionConfigTest, ParsesTheExpandObject) {
  auto spaces = ParseSpaceConfigs(
      R"({"spaces": [{"name": "a", "encoder": {"kind": "dsp"},
                      "expand": {"neighbours": 3, "alpha": 2}}]})");
  ASSERT_TRUE(spaces.ok()) << spaces.status();
  EXPECT_EQ((*spaces)[0].expand.neighbours, 3);
  EXPECT_FLOAT_EQ((*spaces)[0].expand.alpha, 2.0f);
  auto unset = ParseSpaceConfigs(
      R"({"spaces": [{"name": "a", "encoder": {"kind": "dsp"}}]})");
  ASSERT_TRUE(unset.ok()) << unset.status();
  EXPECT_FALSE((*unset)[0].expand.enabled());
  auto bad = ParseSpaceConfigs(
      R"({"spaces": [{"name": "a", "encoder": {"kind": "dsp"},
                      "expand": {"neighbours": 500}}]})");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("expand.neighbours"));
  auto unknown = ParseSpaceConfigs(
      R"({"spaces": [{"name": "a", "encoder": {"kind": "dsp"},
                      "expand": {"k": 3}}]})");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
