#include "research/rank_correlation.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;

constexpr double kTol = 1e-12;

TEST(AverageRanksTest, TiesShareTheMeanRank) {
  EXPECT_THAT(AverageRanks({10, 20, 20, 30}), ElementsAre(1, 2.5, 2.5, 4));
  EXPECT_THAT(AverageRanks({3, 1, 2}), ElementsAre(3, 1, 2));
  EXPECT_THAT(AverageRanks({7, 7, 7}), ElementsAre(2, 2, 2));
  EXPECT_THAT(AverageRanks({5, 1, 5, 1, 9}),
              ElementsAre(3.5, 1.5, 3.5, 1.5, 5));
  EXPECT_TRUE(AverageRanks({}).empty());
}

TEST(SpearmanTest, NoTiesMatchesTheTextbookFormula) {
  // d = rank differences {1, -1, 1, -1, 0}: rho = 1 - 6 * 4 / (5 * 24).
  absl::StatusOr<double> rho =
      SpearmanCorrelation({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5});
  ASSERT_TRUE(rho.ok()) << rho.status();
  EXPECT_NEAR(*rho, 0.8, kTol);
}

TEST(SpearmanTest, TiesUseAverageRanks) {
  // y ranks {1, 2, 3.5, 5, 3.5}; deviations from 3: x {-2,-1,0,1,2},
  // y {-2,-1,0.5,2,0.5}: sxy = 8, sxx = 10, syy = 9.5.
  absl::StatusOr<double> rho =
      SpearmanCorrelation({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7});
  ASSERT_TRUE(rho.ok()) << rho.status();
  EXPECT_NEAR(*rho, 8.0 / std::sqrt(10.0 * 9.5), kTol);
}

TEST(SpearmanTest, PerfectAndReversedOrderAndMonotoneInvariance) {
  EXPECT_NEAR(*SpearmanCorrelation({1, 2, 3}, {10, 20, 30}), 1.0, kTol);
  EXPECT_NEAR(*SpearmanCorrelation({1, 2, 3}, {3, 2, 1}), -1.0, kTol);
  // exp() keeps the order, so rho is unchanged.
  const std::vector<double> x = {0.3, -1.2, 2.5, 0.9, 0.1, 1.7};
  const std::vector<double> y = {1.0, 0.2, 3.1, 0.4, 0.5, 2.2};
  std::vector<double> ey;
  for (double v : y) ey.push_back(std::exp(v));
  EXPECT_NEAR(*SpearmanCorrelation(x, y), *SpearmanCorrelation(x, ey), kTol);
}

TEST(SpearmanTest, UndefinedOrMalformedInputs) {
  EXPECT_EQ(SpearmanCorrelation({1, 2, 3}, {4, 4, 4}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(SpearmanCorrelation({1, 2}, {1, 2, 3}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SpearmanCorrelation({1}, {1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SpearmanCorrelation({1, NAN}, {1, 2}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FisherMeanTest, AveragesInTheTransformedSpace) {
  EXPECT_NEAR(*FisherMean({0.5, 0.5}), 0.5, kTol);
  EXPECT_NEAR(*FisherMean({0.4, -0.4}), 0.0, kTol);
  // atanh(0.2) = 0.2027326, atanh(0.6) = 0.6931472 -> tanh(0.4479399) =
  // 0.4202041.
  const double mean = *FisherMean({0.2, 0.6});
  EXPECT_NEAR(mean, std::tanh((std::atanh(0.2) + std::atanh(0.6)) / 2), kTol);
  EXPECT_NEAR(mean, 0.4202041, 1e-7);
  EXPECT_GT(mean, 0.4);  // above the plain mean: the transform stretches |r|
}

TEST(FisherMeanTest, PerfectCorrelationStaysFinite) {
  const double mean = *FisherMean({1.0, 0.5});
  EXPECT_TRUE(std::isfinite(mean));
  EXPECT_GT(mean, 0.99);
  EXPECT_LE(mean, 1.0);
}

TEST(FisherMeanTest, RejectsNonCorrelations) {
  EXPECT_FALSE(FisherMean({}).ok());
  EXPECT_FALSE(FisherMean({1.5}).ok());
  EXPECT_FALSE(FisherMean({NAN}).ok());
}

}  // namespace
}  // namespace soundsearch
