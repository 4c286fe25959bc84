#include "soundsearch/retrieval_metrics.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

constexpr double kTol = 1e-12;

TEST(AveragePrecisionAtNTest, ThreeHitsOfEightRelevantAtFive) {
  // (1/1 + 2/2 + 3/3) / min(5, 8) = 3 / 5.
  EXPECT_NEAR(AveragePrecisionAtN({1, 1, 1, 0, 0}, 5, 8), 0.6, kTol);
}

TEST(AveragePrecisionAtNTest, FewerRelevantThanCutoffUsesRelevantCount) {
  // Hits at ranks 1 and 3: (1/1 + 2/3) / min(5, 2).
  EXPECT_NEAR(AveragePrecisionAtN({1, 0, 1, 0, 0}, 5, 2), (1.0 + 2.0 / 3) / 2,
              kTol);
  // Hits at ranks 5 and 6 of 6: (1/5 + 2/6) / 2.
  EXPECT_NEAR(AveragePrecisionAtN({0, 0, 0, 0, 1, 1}, 6, 2),
              (1.0 / 5 + 2.0 / 6) / 2, kTol);
  // Hits at ranks 2 and 4: (1/2 + 2/4) / 2.
  EXPECT_NEAR(AveragePrecisionAtN({0, 1, 0, 1, 0, 0}, 6, 2), 0.5, kTol);
  // Hits at ranks 1, 4, 6: (1 + 2/4 + 3/6) / 3.
  EXPECT_NEAR(AveragePrecisionAtN({1, 0, 0, 1, 0, 1}, 6, 3), 2.0 / 3, kTol);
}

TEST(AveragePrecisionAtNTest, AllRelevantFoundFirstIsOne) {
  EXPECT_NEAR(AveragePrecisionAtN({1, 1, 0, 0}, 4, 2), 1.0, kTol);
  // A ranking shorter than N (small collection) is not penalised.
  EXPECT_NEAR(AveragePrecisionAtN({1, 1}, 15, 2), 1.0, kTol);
}

TEST(AveragePrecisionAtNTest, EntriesPastTheCutoffAreIgnored) {
  EXPECT_EQ(AveragePrecisionAtN({0, 0, 1, 1}, 2, 2), 0.0);
  // Only rank 1 counts at N = 1: 1 / min(1, 4).
  EXPECT_NEAR(AveragePrecisionAtN({1, 1, 1}, 1, 4), 1.0, kTol);
}

TEST(AveragePrecisionAtNTest, NoHitsOrNothingRelevantIsZero) {
  EXPECT_EQ(AveragePrecisionAtN({0, 0, 0}, 3, 5), 0.0);
  EXPECT_EQ(AveragePrecisionAtN({1, 0, 0}, 3, 0), 0.0);
  EXPECT_EQ(AveragePrecisionAtN({1, 0, 0}, 0, 1), 0.0);
  EXPECT_EQ(AveragePrecisionAtN({}, 3, 1), 0.0);
}

TEST(AveragePrecisionAtNTest, ReferenceDenominatorCountsTheQuery) {
  // Two relevant besides the query, both on top; the reference code divides
  // by min(15, 2 + 1).
  EXPECT_NEAR(AveragePrecisionAtN({1, 1, 0}, 15, 2 + 1), 2.0 / 3, kTol);
  // Where R >= N the two modes agree.
  EXPECT_EQ(AveragePrecisionAtN({1, 0, 1}, 3, 20),
            AveragePrecisionAtN({1, 0, 1}, 3, 21));
}

TEST(FirstRelevantRankTest, ZeroBasedRankOfFirstHit) {
  EXPECT_EQ(FirstRelevantRank({1, 0, 1}), 0);
  EXPECT_EQ(FirstRelevantRank({0, 0, 1, 1}), 2);
  std::vector<uint8_t> long_ranking(1000, 0);
  long_ranking[777] = 1;
  EXPECT_EQ(FirstRelevantRank(long_ranking), 777);
}

TEST(FirstRelevantRankTest, NoneWhenNothingIsRelevant) {
  EXPECT_FALSE(FirstRelevantRank({0, 0, 0}).has_value());
  EXPECT_FALSE(FirstRelevantRank({}).has_value());
}

}  // namespace
}  // namespace soundsearch
