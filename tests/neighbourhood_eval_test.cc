// research/neighbourhood_eval.h: the offline late fusion, query expansion and
// augmentation behind `soundsearch-eval --sweep`.
#include "research/neighbourhood_eval.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "soundsearch/retrieval_eval.h"

namespace soundsearch {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<LabeledItem> Items(int n, int labels) {
  std::vector<LabeledItem> items;
  for (int i = 0; i < n; ++i) {
    items.push_back(
        {"i" + std::to_string(i), {"L" + std::to_string(i % labels)}});
  }
  return items;
}

// Clustered random vectors: label centre + noise.
std::vector<float> Vectors(int n, int labels, int dim, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<std::vector<float>> centres(labels, std::vector<float>(dim));
  for (auto& c : centres) {
    for (float& x : c) x = g(rng);
  }
  std::vector<float> out;
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < dim; ++d)
      out.push_back(centres[i % labels][d] + g(rng));
  }
  return out;
}

NeighbourhoodEvalOptions Options(std::vector<int64_t> queries = {}) {
  NeighbourhoodEvalOptions o;
  o.cutoffs = {5, 15};
  o.queries = std::move(queries);
  o.num_threads = 2;
  return o;
}

void ExpectSameScores(const RetrievalReport& a, const RetrievalReport& b) {
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(a.macro.map[c], b.macro.map[c], 1e-9) << c;
    EXPECT_NEAR(a.micro.map[c], b.micro.map[c], 1e-9) << c;
  }
  EXPECT_NEAR(a.macro.mr1, b.macro.mr1, 1e-9);
  EXPECT_NEAR(a.micro.mr1, b.micro.mr1, 1e-9);
  EXPECT_EQ(a.num_labels_scored, b.num_labels_scored);
}

TEST(NeighbourhoodEvalTest, PlainSystemIsEvaluateRetrieval) {
  const auto items = Items(30, 3);
  const std::vector<float> v = Vectors(30, 3, 6, 7);
  RetrievalEvalOptions ro;
  ro.cutoffs = {5, 15};
  auto want = EvaluateRetrieval(items, v, 6, Metric::kCosine, ro);
  ASSERT_TRUE(want.ok()) << want.status();
  const std::vector<FusionPart> parts = {{"a", v, 6}};
  NeighbourhoodSystem plain{"a", {1.0f}, {}, {}};
  auto got = EvaluateNeighbourhoodSystem(items, parts, plain, Options());
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameScores(*got, *want);
  EXPECT_LT(got->macro.map[0], 1.0);  // not a trivial collection
}

TEST(NeighbourhoodEvalTest, ZeroWeightPartIsIgnoredAndWeightsAreScaleFree) {
  const auto items = Items(24, 3);
  const std::vector<FusionPart> parts = {{"a", Vectors(24, 3, 5, 1), 5},
                                         {"b", Vectors(24, 3, 8, 2), 8}};
  auto alone =
      EvaluateNeighbourhoodSystem(items, std::vector<FusionPart>{parts[0]},
                                  {"a", {1.0f}, {}, {}}, Options());
  auto zero = EvaluateNeighbourhoodSystem(
      items, parts, {"a+0", {1.0f, 0.0f}, {}, {}}, Options());
  auto half = EvaluateNeighbourhoodSystem(
      items, parts, {"h", {0.5f, 0.5f}, {}, {}}, Options());
  auto two = EvaluateNeighbourhoodSystem(
      items, parts, {"t", {2.0f, 2.0f}, {}, {}}, Options());
  ASSERT_TRUE(alone.ok() && zero.ok() && half.ok() && two.ok());
  ExpectSameScores(*zero, *alone);
  ExpectSameScores(*two, *half);
}

// Unit vectors at these angles (degrees), one per item.
std::vector<float> Angles(const std::vector<double>& degrees) {
  std::vector<float> v;
  for (double d : degrees) {
    v.push_back(static_cast<float>(std::cos(d * kPi / 180)));
    v.push_back(static_cast<float>(std::sin(d * kPi / 180)));
  }
  return v;
}

TEST(NeighbourhoodEvalTest, ExpansionByHand) {
  // Query a0 (0 deg, uploaded); database a1 40, b0 -45, a2 80. Plain:
  // a1, b0, a2 -> AP@5 = (1 + 2/3) / 2. Expanded with a1 (alpha 0: weight 1)
  // the query points at 20 deg: a1, a2 (60 away), b0 (65) -> AP 1.
  const std::vector<LabeledItem> items = {
      {"a0", {"A"}}, {"a1", {"A"}}, {"b0", {"B"}}, {"a2", {"A"}}};
  const std::vector<FusionPart> parts = {{"p", Angles({0, 40, -45, 80}), 2}};
  auto plain = EvaluateNeighbourhoodSystem(items, parts, {"p", {1}, {}, {}},
                                           Options({0}));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_NEAR(plain->macro.map[0], (1.0 + 2.0 / 3.0) / 2.0, 1e-9);
  EXPECT_EQ(plain->num_items, 3);
  auto expanded = EvaluateNeighbourhoodSystem(
      items, parts, {"p+e", {1}, {1, 0.0f}, {}}, Options({0}));
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  EXPECT_NEAR(expanded->macro.map[0], 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(expanded->macro.mr1, 0.0);
}

TEST(NeighbourhoodEvalTest, AugmentationIsThePlainSystemOnAveragedVectors) {
  const int n = 20, dim = 4, k = 3;
  const float alpha = 2.0f;
  const auto items = Items(n, 4);
  std::vector<float> v = Vectors(n, 4, dim, 11);
  for (int i = 0; i < n; ++i) {  // unit rows
    double s = 0;
    for (int d = 0; d < dim; ++d) s += v[i * dim + d] * v[i * dim + d];
    for (int d = 0; d < dim; ++d) v[i * dim + d] /= std::sqrt(s);
  }
  // Split: every 4th of each label queries; the database is the rest.
  const std::vector<int64_t> queries = SplitQueries(items, 4);
  ASSERT_FALSE(queries.empty());
  auto is_query = [&](int i) {
    return std::find(queries.begin(), queries.end(), i) != queries.end();
  };
  std::vector<float> averaged = v;
  for (int x = 0; x < n; ++x) {
    if (is_query(x)) continue;
    std::vector<std::pair<float, int>> sims;
    for (int y = 0; y < n; ++y) {
      if (y == x || is_query(y)) continue;
      float s = 0;
      for (int d = 0; d < dim; ++d) s += v[x * dim + d] * v[y * dim + d];
      sims.push_back({-s, y});
    }
    std::sort(sims.begin(), sims.end());
    std::vector<double> sum(v.begin() + x * dim, v.begin() + (x + 1) * dim);
    double total = 1;
    for (int j = 0; j < k; ++j) {
      const double w = std::pow(std::max(0.0f, -sims[j].first), alpha);
      total += w;
      for (int d = 0; d < dim; ++d) sum[d] += w * v[sims[j].second * dim + d];
    }
    for (int d = 0; d < dim; ++d) averaged[x * dim + d] = sum[d] / total;
  }
  auto want = EvaluateNeighbourhoodSystem(
      items, std::vector<FusionPart>{{"p", averaged, dim}},
      {"hand", {1}, {}, {}}, Options(queries));
  auto got = EvaluateNeighbourhoodSystem(
      items, std::vector<FusionPart>{{"p", v, dim}},
      {"aug", {1}, {}, {k, alpha}}, Options(queries));
  ASSERT_TRUE(want.ok() && got.ok());
  ExpectSameScores(*got, *want);
}

TEST(NeighbourhoodEvalTest, SplitQueriesTakeEveryNthOfEachLabel) {
  const std::vector<LabeledItem> items = {{"0", {"A"}}, {"1", {"A"}},
                                          {"2", {"A"}}, {"3", {"B"}},
                                          {"4", {}},    {"5", {"B"}}};
  EXPECT_EQ(SplitQueries(items, 2), (std::vector<int64_t>{0, 2, 3}));
  EXPECT_TRUE(SplitQueries(items, 1).empty());
}

TEST(NeighbourhoodEvalTest, GridAndBadInput) {
  const std::vector<NeighbourhoodSystem> grid = NeighbourhoodGrid({"a", "b"});
  // 5 bases (a, b, three fusions), 12 systems each.
  EXPECT_EQ(grid.size(), 60u);
  EXPECT_EQ(grid[0].name, "a");
  EXPECT_EQ(NeighbourhoodGrid({"a"}).size(), 12u);
  const auto items = Items(6, 2);
  const std::vector<FusionPart> parts = {{"a", Vectors(6, 2, 3, 1), 3}};
  EXPECT_FALSE(EvaluateNeighbourhoodSystem(items, parts, {"x", {1, 1}, {}, {}},
                                           Options())
                   .ok());
  EXPECT_FALSE(
      EvaluateNeighbourhoodSystem(items, parts, {"x", {0}, {}, {}}, Options())
          .ok());
  EXPECT_FALSE(EvaluateNeighbourhoodSystem(
                   items, parts, {"x", {1}, {101, 3.0f}, {}}, Options())
                   .ok());
  EXPECT_FALSE(EvaluateNeighbourhoodSystem(items, parts, {"x", {1}, {}, {}},
                                           Options({3, 2}))
                   .ok());
}

}  // namespace
}  // namespace soundsearch
