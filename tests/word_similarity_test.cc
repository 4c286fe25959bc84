#include "research/word_similarity.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

constexpr double kTol = 1e-12;

// A lookup over a map, counting calls.
struct MapLookup {
  std::map<std::string, std::vector<float>> vectors;
  int calls = 0;
  WordVectorLookup Lookup() {
    return
        [this](
            absl::string_view word) -> std::optional<absl::Span<const float>> {
          ++calls;
          auto it = vectors.find(std::string(word));
          if (it == vectors.end()) return std::nullopt;
          return absl::MakeConstSpan(it->second);
        };
  }
};

TEST(CosineSimilarityTest, HandValues) {
  const std::vector<float> a = {1, 0}, b = {0, 2}, c = {3, 3}, z = {0, 0};
  EXPECT_NEAR(CosineSimilarity(a, b), 0.0, kTol);
  EXPECT_NEAR(CosineSimilarity(a, c), 1 / std::sqrt(2.0), kTol);
  EXPECT_NEAR(CosineSimilarity(c, c), 1.0, kTol);
  EXPECT_EQ(CosineSimilarity(a, z), 0.0);
}

TEST(EvaluateWordSimilarityTest, CorrelationOnCoveredPairsWithCoverage) {
  // Unit vectors at angles 0, 30, 60, 90 degrees: cos(0, k*30) decreases.
  MapLookup m;
  const double pi = std::acos(-1.0);
  const char* words[] = {"w0", "w30", "w60", "w90"};
  for (int k = 0; k < 4; ++k) {
    m.vectors[words[k]] = {static_cast<float>(std::cos(k * pi / 6)),
                           static_cast<float>(std::sin(k * pi / 6))};
  }
  // Model similarities: w0-w30 .87, w0-w60 .5, w0-w90 0, w30-w0 .87 (the
  // same pair reversed: an exact tie). Ratings rank them 3, 2, 1, 4; the
  // model ranks them 3.5, 2, 1, 3.5.
  const std::vector<WordPair> pairs = {
      {"w0", "w30", 8}, {"w0", "w60", 5},     {"w0", "w90", 1},
      {"w30", "w0", 9}, {"w0", "unknown", 3}, {"missing", "w90", 2}};
  absl::StatusOr<WordSimilarityResult> r =
      EvaluateWordSimilarity(pairs, m.Lookup());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->num_pairs, 6);
  EXPECT_EQ(r->num_covered, 4);
  EXPECT_NEAR(r->coverage, 4.0 / 6, kTol);
  ASSERT_TRUE(r->spearman.has_value());
  // Deviations from 2.5: human {.5, -.5, -1.5, 1.5}, model {1, -.5, -1.5, 1}:
  // sxy = .5 + .25 + 2.25 + 1.5 = 4.5, sxx = 5, syy = 4.5.
  EXPECT_NEAR(*r->spearman, 4.5 / std::sqrt(5 * 4.5), 1e-9);
  // Each distinct word is looked up once: w0 w30 w60 w90 unknown missing.
  EXPECT_EQ(m.calls, 6);
}

TEST(EvaluateWordSimilarityTest, UndefinedCorrelationIsReportedNotFailed) {
  MapLookup m;
  m.vectors["a"] = {1, 0};
  m.vectors["b"] = {0, 1};
  const std::vector<WordPair> pairs = {{"a", "b", 3}, {"a", "zzz", 1}};
  absl::StatusOr<WordSimilarityResult> r =
      EvaluateWordSimilarity(pairs, m.Lookup());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->num_covered, 1);
  EXPECT_FALSE(r->spearman.has_value());
  absl::StatusOr<WordSimilarityResult> none =
      EvaluateWordSimilarity({}, m.Lookup());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->coverage, 0.0);
}

TEST(EvaluateWordSimilarityTest, InconsistentVectorsAreInvalidArgument) {
  MapLookup m;
  m.vectors["a"] = {1, 0};
  m.vectors["b"] = {0, 1, 0};
  const std::vector<WordPair> pairs = {{"a", "b", 3}};
  EXPECT_EQ(EvaluateWordSimilarity(pairs, m.Lookup()).status().code(),
            absl::StatusCode::kInvalidArgument);
  m.vectors["b"] = {0, NAN};
  EXPECT_EQ(EvaluateWordSimilarity(pairs, m.Lookup()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvaluateWordSimilarity(pairs, WordVectorLookup()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(EvaluateWordSimilarityTest, LookupInAWordVectorTable) {
  WordVectors table(2);
  const float a[] = {1, 0}, b[] = {1, 1}, c[] = {0, 1};
  ASSERT_TRUE(table.Add("a", a).ok());
  ASSERT_TRUE(table.Add("b", b).ok());
  ASSERT_TRUE(table.Add("c", c).ok());
  // cos(a,b) .71 > cos(a,c) 0; ratings agree in order.
  const std::vector<WordPair> pairs = {{"a", "b", 7}, {"a", "c", 1}};
  absl::StatusOr<WordSimilarityResult> r =
      EvaluateWordSimilarity(pairs, LookupIn(table));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->spearman.has_value());
  EXPECT_NEAR(*r->spearman, 1.0, kTol);
}

}  // namespace
}  // namespace soundsearch
