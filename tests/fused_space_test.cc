// Fused spaces (SpaceConfig::fusion, docs/config.md "fusion") on a real
// collection (RocksDB, FFmpeg decoding of WAV bytes made here, two dsp
// spaces of different recipes, unfitted and then refitted): a late fusion's
// score of every hit is the weighted sum of the parts' cosines (read from
// each part's own exhaustive ranking) and its ranking is the exact one
// (12 sounds, well under the 100 candidates); a concat fusion with weights
// (1, 0) ranks as its first part, with (0.3, 0.7) scores the weighted sum;
// uploads, several examples, filters, paging, exclusions, delete, ingest,
// refit of a part, reopen, Evaluate and Spaces() work on fused spaces; bad
// fusion configs are InvalidArgument naming the problem.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/space_config.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

constexpr int kRate = 22050;

SpaceConfig Part(const std::string& name, Pooling pooling, Scaling scaling) {
  SpaceConfig space = DefaultSpaceConfig();
  space.name = name;
  space.pooling = pooling;
  space.scaling = scaling;
  space.pca_dims = 6;
  space.min_fit_items = 1000;  // stays unfitted until Refit
  return space;
}

SpaceConfig Fusion(const std::string& name, SpaceFusionKind kind,
                   std::vector<float> weights) {
  SpaceConfig space;
  space.name = name;
  space.encoder.kind.clear();
  space.fusion.of = {"a", "b"};
  space.fusion.weights = std::move(weights);
  space.fusion.kind = kind;
  return space;
}

class FusedSpaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<test::TempDir>(*std::move(dir));
    Open();
    for (int n = 0; n < 6; ++n) tones_.push_back(Add(0, n));
    for (int n = 0; n < 6; ++n) noises_.push_back(Add(1, n));
  }

  void Open() {
    collection_.reset();
    CollectionOptions options;
    options.data_dir = dir_->File("data");
    options.spaces = {
        Part("a", Pooling::kMeanStd, Scaling::kMinMax),
        Part("b", Pooling::kMean, Scaling::kNone),
        Fusion("late", SpaceFusionKind::kLate, {0.5f, 0.5f}),
        Fusion("first", SpaceFusionKind::kConcat, {1.0f, 0.0f}),
        Fusion("cat", SpaceFusionKind::kConcat, {0.3f, 0.7f}),
    };
    auto opened = SoundCollection::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    collection_ = *std::move(opened);
  }

  std::string Sound(int kind, int n) {
    std::vector<float> pcm =
        kind == 0 ? test::Sine(300 + 37 * n, 0.5 + 0.05 * n, kRate, 0.5f)
                  : test::WhiteNoise(0.6, kRate, 0.1f + 0.05f * n, 1 + n);
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

  QueryResult Query(const QueryExample& example, const std::string& space,
                    int k, QueryOptions options = {}) {
    options.space = space;
    options.k = k;
    ExampleQuery query;
    query.positive = {example};
    auto r = collection_->QueryByExamples(query, options);
    EXPECT_TRUE(r.ok()) << space << ": " << r.status();
    return r.ok() ? *r : QueryResult{};
  }

  // Every sound's score in `space` for `example` (its exhaustive ranking).
  std::map<uint64_t, float> Scores(const QueryExample& example,
                                   const std::string& space) {
    std::map<uint64_t, float> out;
    const QueryResult all = Query(example, space, 100);
    for (const QueryHit& h : all.hits) {
      out[h.id] = h.score;
    }
    return out;
  }

  // The fusion's hits are the exact weighted-sum ranking of the parts'
  // cosines: same ids in the same order (ties aside), same scores.
  void ExpectWeightedSum(const QueryExample& example, const std::string& space,
                         float wa, float wb, int k) {
    const std::map<uint64_t, float> a = Scores(example, "a");
    const std::map<uint64_t, float> b = Scores(example, "b");
    ASSERT_EQ(a.size(), b.size());
    std::vector<std::pair<float, uint64_t>> want;
    for (const auto& [id, s] : a) want.push_back({wa * s + wb * b.at(id), id});
    std::sort(want.begin(), want.end(), [](const auto& x, const auto& y) {
      return x.first > y.first || (x.first == y.first && x.second < y.second);
    });
    const QueryResult got = Query(example, space, k);
    ASSERT_EQ(got.hits.size(), std::min<size_t>(k, want.size())) << space;
    for (size_t i = 0; i < got.hits.size(); ++i) {
      const uint64_t id = got.hits[i].id;
      ASSERT_EQ(a.count(id), 1u);
      EXPECT_NEAR(got.hits[i].score, wa * a.at(id) + wb * b.at(id), 1e-5)
          << space << " hit " << i;
      EXPECT_NEAR(got.hits[i].score, want[i].first, 1e-5) << space << " " << i;
    }
  }

  std::unique_ptr<test::TempDir> dir_;
  std::unique_ptr<SoundCollection> collection_;
  std::vector<uint64_t> tones_, noises_;
  int counter_ = 0;
};

TEST_F(FusedSpaceTest, LateFusionScoresAreTheWeightedSumOfThePartsCosines) {
  ExpectWeightedSum({tones_[1], {}}, "late", 0.5f, 0.5f, 11);
  ExpectWeightedSum({noises_[3], {}}, "late", 0.5f, 0.5f, 5);
  // An upload (not in the collection) too.
  const std::string audio = Sound(0, 9);
  ExpectWeightedSum({0, audio}, "late", 0.5f, 0.5f, 12);
}

TEST_F(FusedSpaceTest, ConcatFusionWithWeightsOneZeroRanksAsTheFirstPart) {
  for (uint64_t id : {tones_[0], noises_[2]}) {
    const QueryResult first = Query({id, {}}, "first", 11);
    const QueryResult a = Query({id, {}}, "a", 11);
    ASSERT_EQ(first.hits.size(), a.hits.size());
    for (size_t i = 0; i < a.hits.size(); ++i) {
      EXPECT_EQ(first.hits[i].id, a.hits[i].id) << i;
      EXPECT_NEAR(first.hits[i].score, a.hits[i].score, 1e-5) << i;
    }
  }
  ExpectWeightedSum({tones_[4], {}}, "cat", 0.3f, 0.7f, 11);
}

TEST_F(FusedSpaceTest, FiltersPagingExclusionsAndSeveralExamples) {
  // Exclusion: a by-id query leaves its example out unless asked.
  QueryResult all = Query({tones_[0], {}}, "late", 12);
  EXPECT_EQ(all.hits.size(), 11u);
  for (const QueryHit& h : all.hits) EXPECT_NE(h.id, tones_[0]);
  QueryOptions with_self;
  with_self.include_query = true;
  EXPECT_EQ(Query({tones_[0], {}}, "late", 12, with_self).hits[0].id,
            tones_[0]);
  // Paging: a page is the slice of the whole ranking.
  QueryOptions page;
  page.offset = 3;
  const QueryResult slice = Query({tones_[0], {}}, "late", 4, page);
  ASSERT_EQ(slice.hits.size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(slice.hits[i].id, all.hits[3 + i].id);
  // Filters.
  for (const std::string space : {"late", "cat"}) {
    QueryOptions filtered;
    filtered.filter.labels_any = {"noise"};
    const QueryResult noise = Query({tones_[0], {}}, space, 12, filtered);
    ASSERT_EQ(noise.hits.size(), 6u) << space;
    for (const QueryHit& h : noise.hits) {
      EXPECT_NE(std::find(noises_.begin(), noises_.end(), h.id), noises_.end());
    }
  }
  // Several examples, both strategies, and a negative one.
  for (ExampleStrategy strategy :
       {ExampleStrategy::kAverage, ExampleStrategy::kBestScore}) {
    for (const std::string space : {"late", "cat"}) {
      ExampleQuery query;
      query.positive = {{tones_[0], {}}, {tones_[1], {}}};
      query.negative = {{noises_[0], {}}};
      query.strategy = strategy;
      QueryOptions options;
      options.space = space;
      options.k = 4;
      auto r = collection_->QueryByExamples(query, options);
      ASSERT_TRUE(r.ok()) << space << ": " << r.status();
      ASSERT_EQ(r->hits.size(), 4u);
      for (const QueryHit& h : r->hits) {
        EXPECT_NE(std::find(tones_.begin(), tones_.end(), h.id), tones_.end())
            << space;
      }
    }
  }
  // The batch path (BatchQueryByExample by id) answers as alone.
  std::vector<SoundCollection::IdQuery> batch(2);
  batch[0].id = tones_[2];
  batch[1].id = noises_[2];
  for (auto& q : batch) {
    q.options.space = "cat";
    q.options.k = 5;
  }
  auto answers = collection_->QueryByIdBatch(batch);
  ASSERT_EQ(answers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(answers[i].ok()) << answers[i].status();
    const QueryResult alone = Query({batch[i].id, {}}, "cat", 5);
    ASSERT_EQ(answers[i]->hits.size(), alone.hits.size());
    for (size_t j = 0; j < alone.hits.size(); ++j) {
      EXPECT_EQ(answers[i]->hits[j].id, alone.hits[j].id);
    }
  }
}

TEST_F(FusedSpaceTest, IngestDeleteRefitAndReopenKeepTheFusionsExact) {
  ASSERT_TRUE(collection_->Delete(tones_[5]).ok());
  const uint64_t added = Add(0, 7);
  for (const std::string space : {"late", "cat", "first"}) {
    const QueryResult r = Query({tones_[0], {}}, space, 12);
    EXPECT_EQ(r.hits.size(), 11u) << space;
    bool found = false;
    for (const QueryHit& h : r.hits) {
      EXPECT_NE(h.id, tones_[5]) << space;
      found = found || h.id == added;
    }
    EXPECT_TRUE(found) << space;
  }
  // A refit of a part changes its vectors; the concat index follows.
  ASSERT_TRUE(collection_->Refit("a").ok());
  ASSERT_TRUE(collection_->Refit("b").ok());
  ExpectWeightedSum({tones_[0], {}}, "cat", 0.3f, 0.7f, 11);
  ExpectWeightedSum({added, {}}, "late", 0.5f, 0.5f, 11);
  const uint64_t after_refit = Add(1, 8);
  ExpectWeightedSum({after_refit, {}}, "cat", 0.3f, 0.7f, 12);
  // Reopened: the concat index is rebuilt from the parts.
  Open();
  ExpectWeightedSum({tones_[1], {}}, "cat", 0.3f, 0.7f, 12);
  ExpectWeightedSum({noises_[1], {}}, "late", 0.5f, 0.5f, 12);
  auto refit = collection_->Refit("cat");  // no fit: a rebuild
  ASSERT_TRUE(refit.ok()) << refit.status();
  EXPECT_EQ(refit->items, 13u);  // 12 - 1 deleted + 2 added
}

TEST_F(FusedSpaceTest, EvaluateAndSpacesKnowTheFusedSpaces) {
  for (const std::string space : {"late", "cat"}) {
    EvaluationRequest request;
    request.space = space;
    auto ev = collection_->Evaluate(request);
    ASSERT_TRUE(ev.ok()) << space << ": " << ev.status();
    EXPECT_EQ(ev->space, space);
    EXPECT_GT(ev->macro.map[0], 0.0);
  }
  // Evaluating the (1, 0) concat is evaluating its first part.
  EvaluationRequest first, a;
  first.space = "first";
  a.space = "a";
  auto ev_first = collection_->Evaluate(first);
  auto ev_a = collection_->Evaluate(a);
  ASSERT_TRUE(ev_first.ok() && ev_a.ok());
  EXPECT_NEAR(ev_first->macro.map[0], ev_a->macro.map[0], 1e-9);
  const std::vector<SpaceStatus> spaces = collection_->Spaces();
  ASSERT_EQ(spaces.size(), 5u);
  EXPECT_EQ(spaces[2].config.name, "late");
  EXPECT_TRUE(spaces[2].config.fusion.enabled());
  EXPECT_EQ(spaces[2].index_dim, spaces[0].index_dim + spaces[1].index_dim);
  EXPECT_EQ(spaces[4].vectors, 12u);
  // Word vectors: a fused space has its own (means of its fused vectors).
  // With weights (1, 0) the fused vector is the first part's, so the word
  // vector of "first" is the word vector of "a" followed by zeros.
  auto in_a = collection_->WordVector("a", "tone");
  auto in_first = collection_->WordVector("first", "tone");
  ASSERT_TRUE(in_a.ok()) << in_a.status();
  ASSERT_TRUE(in_first.ok()) << in_first.status();
  ASSERT_EQ(in_first->vector.size(),
            in_a->vector.size() + static_cast<size_t>(spaces[1].index_dim));
  for (size_t d = 0; d < in_first->vector.size(); ++d) {
    const float want = d < in_a->vector.size() ? in_a->vector[d] : 0.0f;
    EXPECT_NEAR(in_first->vector[d], want, 1e-5f) << "dim " << d;
  }
  EXPECT_EQ(in_first->sounds_used, 6);
  auto pair = collection_->WordSimilarity("late", "tone", "noise");
  ASSERT_TRUE(pair.ok()) << pair.status();
  // A stored sound is described by the fused space's word vectors; an
  // upload (embedded in every part) is for the parts.
  DescribeOptions describe;
  describe.space = "late";
  describe.words = 2;
  auto described = collection_->DescribeSound({tones_[0], {}}, describe);
  ASSERT_TRUE(described.ok()) << described.status();
  ASSERT_FALSE(described->words.empty());
  EXPECT_EQ(described->words[0].word, "tone");
  QueryExample upload;
  upload.audio = Sound(0, 9);
  EXPECT_TRUE(absl::IsInvalidArgument(
      collection_->DescribeSound(upload, describe).status()));
}

// Text queries look at every space (words, classes, spoken content): fused
// spaces, which have none of their own, are passed over, not dereferenced.
TEST_F(FusedSpaceTest, TextQueriesPassOverFusedSpaces) {
  TextQueryOptions options;
  options.query.k = 5;
  for (const char* space : {"", "late", "cat"}) {
    // Default space, and the fused spaces' own word vectors.
    options.query.space = space;
    auto found = collection_->QueryByText("tone", options);
    // The label "tone" is a word of the collection: the tones come first.
    ASSERT_TRUE(found.ok()) << space << ": " << found.status();
    ASSERT_FALSE(found->result.hits.empty()) << space;
    for (const QueryHit& hit : found->result.hits) {
      EXPECT_NE(std::find(tones_.begin(), tones_.end(), hit.id), tones_.end())
          << space << ": hit " << hit.id << " is not a tone";
    }
  }
}

TEST(FusedSpaceConfigTest, ParsesAndRefusesClearly) {
  const std::string parts =
      R"({"name": "a", "encoder": {"kind": "dsp"}},
         {"name": "b", "encoder": {"kind": "dsp"}, "pooling": "mean"},)";
  auto parse = [&](const std::string& fused) {
    return ParseSpaceConfigs(
        absl::StrCat(R"({"spaces": [)", parts, fused, "]}"));
  };
  auto ok = parse(
      R"({"name": "ab", "fusion": {"of": ["a", "b"], "weights": [0.5, 0.5],
          "kind": "concat"}, "index": {"type": "flat"}})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[2].fusion.kind, SpaceFusionKind::kConcat);
  EXPECT_EQ((*ok)[2].fusion.of, (std::vector<std::string>{"a", "b"}));
  auto equal = parse(R"({"name": "ab", "fusion": {"of": ["a", "b"]}})");
  ASSERT_TRUE(equal.ok()) << equal.status();
  EXPECT_EQ((*equal)[2].fusion.kind, SpaceFusionKind::kLate);
  EXPECT_EQ((*equal)[2].fusion.weights, (std::vector<float>{0.5f, 0.5f}));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"name": "ab", "fusion": {"of": ["a", "c"]}})",
       "\"c\" is not a space of this config"},
      {R"({"name": "ab", "fusion": {"of": ["a", "b"]}},
          {"name": "abc", "fusion": {"of": ["ab", "a"]}})",
       "is a fused space itself"},
      {R"({"name": "ab", "fusion": {"of": ["a", "b"], "weights": [1]}})",
       "1 weights for 2 parts"},
      {R"({"name": "ab", "fusion": {"of": ["a", "b"], "weights": [1, -1]}})",
       "must be finite and >= 0"},
      {R"({"name": "ab", "fusion": {"of": ["a", "b"], "weights": [0, 0]}})",
       "all 0"},
      {R"({"name": "ab", "fusion": {"of": ["a", "a"]}})", "appears twice"},
      {R"({"name": "ab", "fusion": {"of": ["a"]}})", "at least 2"},
      {R"({"name": "ab", "fusion": {"of": ["a", "b"], "kind": "mid"}})",
       "\"late\" or \"concat\""},
      {R"({"name": "ab", "encoder": {"kind": "dsp"},
           "fusion": {"of": ["a", "b"]}})",
       "a fused space has no encoder"},
  };
  for (const auto& [fused, message] : bad) {
    auto parsed = parse(fused);
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << fused;
    EXPECT_THAT(parsed.status().message(), HasSubstr(message)) << fused;
  }
  // A part that is not cosine.
  auto euclidean = ParseSpaceConfigs(R"({"spaces": [
      {"name": "a", "encoder": {"kind": "dsp"}, "metric": "euclidean"},
      {"name": "b", "encoder": {"kind": "dsp"}},
      {"name": "ab", "fusion": {"of": ["a", "b"]}}]})");
  EXPECT_THAT(euclidean.status().message(), HasSubstr("must be cosine"));
}

}  // namespace
}  // namespace soundsearch
