// EvaluateAcrossGroups and RankAcrossGroups: the query's own group is left
// out of its ranking and of its relevant count.
#include "research/across_groups.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

// Two speakers (a, b) saying "yes" and "no" twice each.
std::vector<LabeledItem> Items() {
  return {{"a-yes-1", {"yes"}}, {"a-yes-2", {"yes"}}, {"a-no-1", {"no"}},
          {"a-no-2", {"no"}},   {"b-yes-1", {"yes"}}, {"b-yes-2", {"yes"}},
          {"b-no-1", {"no"}},   {"b-no-2", {"no"}}};
}
const std::vector<std::string> kGroups = {"a", "a", "a", "a",
                                          "b", "b", "b", "b"};

TEST(AcrossGroupsTest, PerfectAndWorstRankings) {
  const auto items = Items();
  RetrievalEvalOptions options;
  options.cutoffs = {2, 4};
  // Perfect: the other speaker's same word first.
  auto perfect = EvaluateAcrossGroups(
      items, kGroups,
      [&](int64_t q, std::vector<int64_t>* r) {
        const int64_t base = q < 4 ? 4 : 0;
        const bool yes = items[q].labels[0] == "yes";
        *r = yes ? std::vector<int64_t>{base, base + 1, base + 2, base + 3}
                 : std::vector<int64_t>{base + 2, base + 3, base, base + 1};
        return absl::OkStatus();
      },
      options);
  ASSERT_TRUE(perfect.ok()) << perfect.status();
  EXPECT_DOUBLE_EQ(perfect->macro.map[0], 1.0);
  EXPECT_DOUBLE_EQ(perfect->macro.mr1, 0.0);
  EXPECT_DOUBLE_EQ(perfect->micro.map[0], 1.0);
  EXPECT_EQ(perfect->num_label_queries, 8);
  // Worst: the other word first. AP@2 = 0; AP@4 = (1/3 + 2/4) / 2.
  auto worst = EvaluateAcrossGroups(
      items, kGroups,
      [&](int64_t q, std::vector<int64_t>* r) {
        const int64_t base = q < 4 ? 4 : 0;
        const bool yes = items[q].labels[0] == "yes";
        *r = yes ? std::vector<int64_t>{base + 2, base + 3, base, base + 1}
                 : std::vector<int64_t>{base, base + 1, base + 2, base + 3};
        return absl::OkStatus();
      },
      options);
  ASSERT_TRUE(worst.ok());
  EXPECT_DOUBLE_EQ(worst->macro.map[0], 0.0);
  EXPECT_NEAR(worst->macro.map[1], (1.0 / 3 + 2.0 / 4) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(worst->macro.mr1, 2.0);
}

TEST(AcrossGroupsTest, RankingsMustCoverExactlyTheOtherGroups) {
  const auto items = Items();
  auto own_group = EvaluateAcrossGroups(
      items, kGroups, [](int64_t q, std::vector<int64_t>* r) {
        *r = {q < 4 ? int64_t{1} : int64_t{5}};
        return absl::OkStatus();
      });
  EXPECT_EQ(own_group.status().code(), absl::StatusCode::kInvalidArgument);
  auto short_ranking = EvaluateAcrossGroups(
      items, kGroups, [](int64_t q, std::vector<int64_t>* r) {
        *r = {q < 4 ? int64_t{4} : int64_t{0}};
        return absl::OkStatus();
      });
  EXPECT_EQ(short_ranking.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<std::string> no_group = kGroups;
  no_group[3] = "";
  EXPECT_FALSE(EvaluateAcrossGroups(items, no_group,
                                    [](int64_t, std::vector<int64_t>*) {
                                      return absl::OkStatus();
                                    })
                   .ok());
}

TEST(AcrossGroupsTest, RankLeavesTheGroupOutAndRescoresTheHead) {
  // 1-d cosine-like scores: item vectors are their own similarity to q=0.
  const std::vector<float> vectors = {1.0f, 0.9f, 0.8f, 0.7f, 0.6f};
  const std::vector<std::string> groups = {"a", "a", "b", "b", "b"};
  auto plain = RankAcrossGroups(vectors, 1, Metric::kInnerProduct, groups, 0,
                                0, nullptr);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, (std::vector<int64_t>{2, 3, 4}));
  // Re-scoring the top 2 so that item 3 wins; item 4 stays behind them.
  auto reranked = RankAcrossGroups(
      vectors, 1, Metric::kInnerProduct, groups, 0, 2,
      [](int64_t, int64_t j, double s) { return j == 3 ? 2.0 : s; });
  ASSERT_TRUE(reranked.ok());
  EXPECT_EQ(*reranked, (std::vector<int64_t>{3, 2, 4}));
}

TEST(AcrossGroupsTest, ExpansionAveragesInTheNearestItemsOfAnyGroup) {
  // Unit 2-d vectors. The query 0 is nearest to its own speaker's item 1
  // (cosine 0.9), then to item 2 (0.8), then item 3 (0.5).
  const std::vector<float> vectors = {1.0f, 0.0f,  0.9f, 0.43589f,
                                      0.8f, -0.6f, 0.5f, 0.86603f};
  const std::vector<std::string> groups = {"a", "a", "b", "b"};
  auto plain =
      RankAcrossGroups(vectors, 2, Metric::kCosine, groups, 0, 0, nullptr);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, (std::vector<int64_t>{2, 3}));
  // One neighbour, weight 0.9^1: item 1 (not the query itself, which would
  // change nothing) pulls the query towards item 3:
  // (1.81, 0.392) / |.| scores item 3 0.655 * k, item 2 0.638 * k.
  NeighbourhoodOptions expand;
  expand.neighbours = 1;
  expand.alpha = 1.0f;
  auto expanded = RankAcrossGroups(vectors, 2, Metric::kCosine, groups, 0, 0,
                                   nullptr, expand);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  EXPECT_EQ(*expanded, (std::vector<int64_t>{3, 2}));
  // The weight is similarity^alpha: at alpha 100 item 1 weighs 2.7e-5 and
  // the order is the plain one.
  expand.alpha = 100.0f;
  auto faint = RankAcrossGroups(vectors, 2, Metric::kCosine, groups, 0, 0,
                                nullptr, expand);
  ASSERT_TRUE(faint.ok());
  EXPECT_EQ(*faint, (std::vector<int64_t>{2, 3}));
  // Bad options are InvalidArgument.
  expand.neighbours = NeighbourhoodOptions::kMaxNeighbours + 1;
  auto bad = RankAcrossGroups(vectors, 2, Metric::kCosine, groups, 0, 0,
                              nullptr, expand);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
