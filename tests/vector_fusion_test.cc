#include "research/vector_fusion.h"

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "research/rank_correlation.h"

namespace soundsearch {
namespace {

constexpr double kTol = 1e-9;

WordVectorLookup MapLookup(const std::map<std::string, std::vector<float>>* m) {
  return [m](absl::string_view word) -> std::optional<absl::Span<const float>> {
    auto it = m->find(std::string(word));
    if (it == m->end()) return std::nullopt;
    return absl::MakeConstSpan(it->second);
  };
}

TEST(FusedSimilarityTest, HandWorkedValues) {
  // Text cosine 0, audio cosine 1; vectors of any scale.
  const std::vector<float> t1 = {2, 0}, t2 = {0, 3}, u1 = {1, 0, 0},
                           u2 = {5, 0, 0};
  // a = 0.5: middle (.25 * 0 + .25 * 1) / (.25 + .25) = .5; late .5.
  EXPECT_NEAR(FusedSimilarity(FusionKind::kMiddle, 0.5, t1, u1, t2, u2), 0.5,
              kTol);
  EXPECT_NEAR(FusedSimilarity(FusionKind::kLate, 0.5, t1, u1, t2, u2), 0.5,
              kTol);
  // a = 0.25: middle .5625 / .625 = .9; late .75.
  EXPECT_NEAR(FusedSimilarity(FusionKind::kMiddle, 0.25, t1, u1, t2, u2), 0.9,
              kTol);
  EXPECT_NEAR(FusedSimilarity(FusionKind::kLate, 0.25, t1, u1, t2, u2), 0.75,
              kTol);
  // The ends are one modality only.
  for (FusionKind kind : {FusionKind::kMiddle, FusionKind::kLate}) {
    EXPECT_NEAR(FusedSimilarity(kind, 0.0, t1, u1, t2, u2), 1.0, kTol);
    EXPECT_NEAR(FusedSimilarity(kind, 1.0, t1, u1, t2, u2), 0.0, kTol);
  }
}

TEST(FusedSimilarityTest, MiddleFusionIsTheCosineOfTheConcatenation) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  std::vector<float> t1(4), t2(4), u1(3), u2(3);
  for (auto* v : {&t1, &t2, &u1, &u2}) {
    for (float& x : *v) x = g(rng);
  }
  const auto unit = [](std::vector<float> v) {
    double sq = 0;
    for (float x : v) sq += x * x;
    for (float& x : v) x = static_cast<float>(x / std::sqrt(sq));
    return v;
  };
  const double a = 0.3;
  const auto concat = [&](const std::vector<float>& t,
                          const std::vector<float>& u) {
    std::vector<float> c;
    for (float x : unit(t)) c.push_back(static_cast<float>(a * x));
    for (float x : unit(u)) c.push_back(static_cast<float>((1 - a) * x));
    return c;
  };
  EXPECT_NEAR(FusedSimilarity(FusionKind::kMiddle, a, t1, u1, t2, u2),
              CosineSimilarity(concat(t1, u1), concat(t2, u2)), 1e-6);
}

// Words with random text and audio vectors; ratings follow the text space.
class FusionEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(9);
    std::normal_distribution<float> g;
    for (int w = 0; w < 40; ++w) {
      const std::string word = "w" + std::to_string(w);
      for (auto* m : {&text_, &audio_}) {
        std::vector<float> v(5);
        for (float& x : v) x = g(rng);
        (*m)[word] = v;
      }
    }
    for (int i = 0; i < 120; ++i) {
      const std::string a = "w" + std::to_string(i % 40);
      const std::string b = "w" + std::to_string((i * 7 + 3) % 40);
      if (a == b) continue;
      // Human rating: text cosine plus a little noise.
      const double rating =
          CosineSimilarity(text_[a], text_[b]) + 0.05 * g(rng);
      pairs_.push_back({a, b, rating});
    }
    pairs_.push_back({"w1", "not_a_word", 1.0});
    audio_.erase("w39");  // w39 has text only: its pairs are not covered
  }

  std::map<std::string, std::vector<float>> text_, audio_;
  std::vector<WordPair> pairs_;
};

TEST_F(FusionEvalTest, AlphaZeroIsAudioOnlyAndOneIsTextOnly) {
  // Restrict to pairs covered by both so that the sets are the same.
  std::vector<WordPair> both;
  for (const WordPair& p : pairs_) {
    if (audio_.count(p.first) && audio_.count(p.second) &&
        text_.count(p.first) && text_.count(p.second)) {
      both.push_back(p);
    }
  }
  const WordVectorLookup text = MapLookup(&text_);
  const WordVectorLookup audio = MapLookup(&audio_);
  const WordSimilarityResult text_only = *EvaluateWordSimilarity(both, text);
  const WordSimilarityResult audio_only = *EvaluateWordSimilarity(both, audio);
  ASSERT_TRUE(text_only.spearman && audio_only.spearman);
  for (FusionKind kind : {FusionKind::kMiddle, FusionKind::kLate}) {
    absl::StatusOr<WordSimilarityResult> a0 =
        EvaluateFusion(both, text, audio, kind, 0.0);
    absl::StatusOr<WordSimilarityResult> a1 =
        EvaluateFusion(both, text, audio, kind, 1.0);
    ASSERT_TRUE(a0.ok() && a1.ok());
    ASSERT_TRUE(a0->spearman && a1->spearman);
    EXPECT_NEAR(*a0->spearman, *audio_only.spearman, kTol);
    EXPECT_NEAR(*a1->spearman, *text_only.spearman, kTol);
  }
  // The ratings follow the text space.
  EXPECT_GT(*text_only.spearman, 0.9);
  EXPECT_LT(std::abs(*audio_only.spearman), 0.5);
}

TEST_F(FusionEvalTest, CoverageNeedsBothModalities) {
  absl::StatusOr<WordSimilarityResult> r = EvaluateFusion(
      pairs_, MapLookup(&text_), MapLookup(&audio_), FusionKind::kLate, 0.5);
  ASSERT_TRUE(r.ok()) << r.status();
  int64_t expected = 0;
  for (const WordPair& p : pairs_) {
    expected += audio_.count(p.first) && audio_.count(p.second) &&
                text_.count(p.first) && text_.count(p.second);
  }
  EXPECT_EQ(r->num_pairs, static_cast<int64_t>(pairs_.size()));
  EXPECT_EQ(r->num_covered, expected);
  EXPECT_LT(r->num_covered, r->num_pairs);
  EXPECT_EQ(EvaluateFusion(pairs_, MapLookup(&text_), MapLookup(&audio_),
                           FusionKind::kLate, 1.5)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FusionEvalTest, CrossValidationTunesTowardsTextAndIsDeterministic) {
  FusionCrossValidationOptions options;
  options.kind = FusionKind::kMiddle;
  options.seed = 42;
  const WordVectorLookup text = MapLookup(&text_);
  const WordVectorLookup audio = MapLookup(&audio_);
  absl::StatusOr<FusionCrossValidation> cv =
      CrossValidateFusion(pairs_, text, audio, options);
  ASSERT_TRUE(cv.ok()) << cv.status();
  ASSERT_EQ(cv->fold_alpha.size(), 5u);
  ASSERT_EQ(cv->fold_spearman.size(), 5u);
  for (double a : cv->fold_alpha) {
    EXPECT_GE(a, 0.5);  // text carries the ratings
    // On the grid 0, 0.05, ..., 1.
    EXPECT_NEAR(a * 20, std::round(a * 20), 1e-9);
  }
  // The reported figure is the Fisher mean of the fold correlations.
  EXPECT_NEAR(cv->spearman, *FisherMean(cv->fold_spearman), 1e-12);
  EXPECT_GT(cv->spearman, 0.8);
  EXPECT_LT(cv->num_covered, cv->num_pairs);

  absl::StatusOr<FusionCrossValidation> again =
      CrossValidateFusion(pairs_, text, audio, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fold_alpha, cv->fold_alpha);
  EXPECT_EQ(again->fold_spearman, cv->fold_spearman);
}

TEST_F(FusionEvalTest, CrossValidationRejectsBadOptionsAndTooFewPairs) {
  const WordVectorLookup text = MapLookup(&text_);
  const WordVectorLookup audio = MapLookup(&audio_);
  FusionCrossValidationOptions one_fold;
  one_fold.num_folds = 1;
  EXPECT_EQ(CrossValidateFusion(pairs_, text, audio, one_fold).status().code(),
            absl::StatusCode::kInvalidArgument);
  FusionCrossValidationOptions no_grid;
  no_grid.grid_steps = 0;
  EXPECT_EQ(CrossValidateFusion(pairs_, text, audio, no_grid).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<WordPair> few(pairs_.begin(), pairs_.begin() + 6);
  EXPECT_EQ(CrossValidateFusion(few, text, audio).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace soundsearch
