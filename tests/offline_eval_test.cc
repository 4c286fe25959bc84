// Tests of the offline evaluation library (research/offline_eval.h and
// research/frame_recipes.h) on a small labelled collection of WAV files
// that the test writes: tones, white noise and click trains.
#include "research/offline_eval.h"

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "research/frame_recipes.h"
#include "soundsearch/dsp_frame_layout.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

using ::testing::HasSubstr;

constexpr int kRate = 22050;
constexpr int kPerClass = 10;
const char* const kClasses[] = {"tone", "noise", "clicks"};

std::vector<float> MakeClip(int cls, int k) {
  const double seconds = 0.8 + 0.05 * k;
  switch (cls) {
    case 0:
      return test::Sine(220.0 * (1.0 + 0.15 * k), seconds, kRate,
                        0.2f + 0.03f * k);
    case 1:
      return test::WhiteNoise(seconds, kRate, 0.1f + 0.04f * k, 100 + k);
    default: {
      std::vector<float> x = test::Silence(seconds, kRate);
      const int period = kRate / (4 + k);  // 4..13 clicks per second
      for (size_t i = 0; i < x.size(); i += period) {
        for (int j = 0; j < 40 && i + j < x.size(); ++j) {
          x[i + j] = (j % 2 ? -0.6f : 0.6f) * (1.0f - j / 40.0f);
        }
      }
      return x;
    }
  }
}

class OfflineEvalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir(*test::TempDir::Create());
    std::string csv = "fname,labels,tags\n";
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < kPerClass; ++k) {
        const std::string name = absl::StrCat(kClasses[c], "_", k, ".wav");
        ASSERT_TRUE(
            test::WritePcm16Wav(dir_->File(name), MakeClip(c, k), kRate, 1)
                .ok());
        absl::StrAppend(&csv, name, ",", kClasses[c], ",synthetic\n");
      }
    }
    ASSERT_TRUE(test::WriteFileBytes(dir_->File("manifest.csv"), csv).ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  static OfflineCollection Collection() {
    auto c = LoadOfflineCollection(dir_->File("manifest.csv"));
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }
  static std::unique_ptr<AudioDecoder> Decoder() {
    return *AudioDecoder::Create(AudioDecoderOptions());
  }

  static test::TempDir* dir_;
};
test::TempDir* OfflineEvalTest::dir_ = nullptr;

TEST_F(OfflineEvalTest, LoadsManifestWithPathsInItsFolder) {
  OfflineCollection c = Collection();
  ASSERT_EQ(c.items.size(), 3u * kPerClass);
  EXPECT_EQ(c.items[0].id, "tone_0.wav");
  EXPECT_THAT(c.items[0].labels, ::testing::ElementsAre("tone"));
  EXPECT_EQ(c.paths[0], dir_->File("tone_0.wav"));
  auto other = LoadOfflineCollection(dir_->File("manifest.csv"), "/elsewhere");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->paths[0], "/elsewhere/tone_0.wav");
}

TEST_F(OfflineEvalTest, RejectsRepeatedFnameAndMissingManifest) {
  ASSERT_TRUE(test::WriteFileBytes(dir_->File("dup.csv"),
                                   "fname,labels\na.wav,x\na.wav,y\n")
                  .ok());
  auto dup = LoadOfflineCollection(dir_->File("dup.csv"));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(dup.status().message(), HasSubstr("repeated fname"));
  EXPECT_EQ(LoadOfflineCollection(dir_->File("none.csv")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(OfflineEvalTest, DspSpaceSeparatesTheClassesAndShuffledLabelsDoNot) {
  OfflineCollection c = Collection();
  auto decoder = Decoder();
  SpaceConfig config = DefaultSpaceConfig();
  auto space = Space::Create(config);
  ASSERT_TRUE(space.ok()) << space.status();
  auto raws = EmbedFiles(**space, *decoder, c.paths, 2);
  ASSERT_TRUE(raws.ok()) << raws.status();
  auto ev = FitAndEvaluateSpace(**space, *raws, c.items, {});
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->space, "dsp");
  EXPECT_EQ(ev->dim, 3 * kPerClass - 1);  // PCA capped at items - 1
  EXPECT_EQ(ev->report.num_labels_scored, 3);
  EXPECT_GT(ev->report.macro.map[0], 0.95);
  EXPECT_GT(ev->report.micro.map[0], 0.95);
  EXPECT_LT(ev->report.macro.mr1, 0.5);

  // Labels that cut across the true classes: each fake label holds 3-4 clips
  // of every class, so a good embedding is no better than chance
  // (9 relevant of 29: MAP@15 about 0.3).
  std::vector<LabeledItem> shuffled = c.items;
  for (size_t i = 0; i < shuffled.size(); ++i) {
    shuffled[i].labels = {absl::StrCat("fake", i % 3)};
  }
  auto fake =
      EvaluateRetrieval(shuffled, ev->vectors, ev->dim, Metric::kCosine);
  ASSERT_TRUE(fake.ok());
  EXPECT_LT(fake->macro.map[0], 0.45);
  EXPECT_GT(fake->macro.mr1, 0.5);

  // Neighbours of a tone are tones.
  auto nn = NearestNeighbours(ev->vectors, ev->dim, Metric::kCosine, 0, 5);
  ASSERT_TRUE(nn.ok());
  ASSERT_EQ(nn->size(), 5u);
  for (const Neighbour& n : *nn) {
    EXPECT_NE(n.index, 0);
    EXPECT_EQ(c.items[n.index].labels[0], "tone");
  }
  for (size_t i = 1; i < nn->size(); ++i) {
    EXPECT_GE((*nn)[i - 1].score, (*nn)[i].score);
  }
}

TEST_F(OfflineEvalTest, BoawSpaceFitsAndEvaluates) {
  OfflineCollection c = Collection();
  auto decoder = Decoder();
  SpaceConfig config = DefaultSpaceConfig();
  config.name = "boaw";
  config.encoder.kind = "mfcc";
  config.boaw = true;
  config.scaling = Scaling::kNone;
  config.codebook.k = 16;
  auto space = Space::Create(config);
  ASSERT_TRUE(space.ok()) << space.status();
  auto raws = EmbedFiles(**space, *decoder, c.paths, 2);
  ASSERT_TRUE(raws.ok()) << raws.status();
  auto ev = FitAndEvaluateSpace(**space, *raws, c.items, {});
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_GT(ev->report.macro.map[0], 0.8);
}

TEST_F(OfflineEvalTest, EmbedFilesNamesTheFileThatFails) {
  auto decoder = Decoder();
  auto space = Space::Create(DefaultSpaceConfig());
  ASSERT_TRUE(space.ok());
  std::vector<std::string> paths = {dir_->File("tone_0.wav"),
                                    dir_->File("missing.wav")};
  auto raws = EmbedFiles(**space, *decoder, paths, 2);
  EXPECT_EQ(raws.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(raws.status().message(), HasSubstr("missing.wav"));
}

TEST_F(OfflineEvalTest, SweepEvaluatesTwentySevenSystemsFromOneEncoding) {
  OfflineCollection c = Collection();
  auto decoder = Decoder();
  auto encoder = Encoder::Create(EncoderOptions());
  ASSERT_TRUE(encoder.ok());
  auto clips = EncodeFiles(**encoder, *decoder, c.paths, 2);
  ASSERT_TRUE(clips.ok()) << clips.status();
  std::vector<FrameRecipe> recipes = SweepRecipes(Scaling::kZScore);
  ASSERT_EQ(recipes.size(), 27u);
  std::set<std::string> names;
  for (const FrameRecipe& r : recipes) names.insert(r.name);
  EXPECT_EQ(names.size(), 27u);
  EXPECT_TRUE(names.count("mean-pca100-cosine"));
  EXPECT_TRUE(names.count("median-pca200-inner_product"));
  EXPECT_TRUE(names.count("max-pcanone-euclidean"));

  auto reports = EvaluateFrameRecipes(*clips, c.items, recipes, {}, 2);
  ASSERT_TRUE(reports.ok()) << reports.status();
  ASSERT_EQ(reports->size(), 27u);
  for (size_t i = 0; i < recipes.size(); ++i) {
    EXPECT_EQ((*reports)[i].name, recipes[i].name);
    // These classes are easy: every system beats chance (about 0.3) clearly.
    EXPECT_GT((*reports)[i].report.macro.map[0], 0.6) << recipes[i].name;
  }
  const std::string csv = SweepCsv(recipes, *reports);
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 28u);
  EXPECT_EQ(lines[0], "pooling,pca,metric,map@15,map@150,mr1");
  EXPECT_THAT(lines[1], HasSubstr("mean,100,cosine,"));
  EXPECT_THAT(lines[27], HasSubstr("max,none,euclidean,"));
}

TEST_F(OfflineEvalTest, FrameRecipeOfTheSpaceMatchesTheSpace) {
  // The recipe path (frames -> pool -> projection) must give what the Space
  // gives for the same recipe.
  OfflineCollection c = Collection();
  auto decoder = Decoder();
  auto space = Space::Create(DefaultSpaceConfig());
  ASSERT_TRUE(space.ok());
  auto raws = EmbedFiles(**space, *decoder, c.paths, 2);
  ASSERT_TRUE(raws.ok());
  auto ev = FitAndEvaluateSpace(**space, *raws, c.items, {});
  ASSERT_TRUE(ev.ok());
  auto encoder = Encoder::Create(DefaultSpaceConfig().encoder);
  auto clips = EncodeFiles(**encoder, *decoder, c.paths, 1);
  ASSERT_TRUE(clips.ok());
  const SpaceConfig d = DefaultSpaceConfig();
  FrameRecipe r;
  r.name = "space";
  r.pooling = d.pooling;
  r.scaling = d.scaling;
  r.pca_dims = d.pca_dims;
  r.metric = d.metric;
  auto reports = EvaluateFrameRecipes(*clips, c.items, {r}, {}, 2);
  ASSERT_TRUE(reports.ok()) << reports.status();
  EXPECT_NEAR((*reports)[0].report.macro.map[0], ev->report.macro.map[0], 1e-9);
  EXPECT_NEAR((*reports)[0].report.macro.mr1, ev->report.macro.mr1, 1e-9);
}

TEST_F(OfflineEvalTest, AblationSelectsTheColumnsOfEachGroup) {
  EncoderOptions enc;
  FrameRecipe base;
  auto recipes = DspAblationRecipes(enc, base);
  ASSERT_TRUE(recipes.ok()) << recipes.status();
  auto layout = *DspFrameLayout::For(enc);
  std::map<std::string, FrameRecipe> by_name;
  for (const FrameRecipe& r : *recipes) by_name[r.name] = r;
  ASSERT_EQ(by_name.size(), recipes->size());
  EXPECT_TRUE(by_name.at("base").columns.empty());
  // only pitch: its 2 base columns and their 2 deltas.
  EXPECT_THAT(
      by_name.at("only pitch").columns,
      ::testing::ElementsAre(layout.pitch.offset, layout.pitch.offset + 1,
                             layout.base_dim + layout.pitch.offset,
                             layout.base_dim + layout.pitch.offset + 1));
  EXPECT_EQ(by_name.at("without mfcc").columns.size(),
            static_cast<size_t>(layout.frame_dim - 2 * layout.mfcc.size));
  EXPECT_EQ(by_name.at("without deltas").columns.size(),
            static_cast<size_t>(layout.base_dim));
  EXPECT_EQ(by_name.at("scaling zscore").scaling, Scaling::kZScore);
  EXPECT_EQ(by_name.at("pooling max").pooling, Pooling::kMax);
  EXPECT_EQ(by_name.at("pca none").pca_dims, 0);
  EncoderOptions mfcc;
  mfcc.kind = "mfcc";
  EXPECT_EQ(DspAblationRecipes(mfcc, base).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParallelForTest, RunsEveryIndexOnceAndReportsTheLowestFailure) {
  std::vector<std::atomic<int>> hits(1000);
  ASSERT_TRUE(ParallelFor(1000, 3, [&](int64_t i) {
                hits[i]++;
                return absl::OkStatus();
              }).ok());
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  absl::Status s = ParallelFor(10, 1, [](int64_t i) {
    return i >= 4 ? absl::InternalError(absl::StrCat("bad ", i))
                  : absl::OkStatus();
  });
  EXPECT_EQ(s.message(), "bad 4");
  EXPECT_EQ(ParallelFor(5, 0, [](int64_t) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
