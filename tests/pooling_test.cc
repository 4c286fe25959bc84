#include "soundsearch/pooling.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;

FrameMatrix MakeFrames(const std::vector<std::vector<float>>& rows) {
  FrameMatrix m(static_cast<int>(rows.size()),
                static_cast<int>(rows[0].size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t d = 0; d < rows[i].size(); ++d) m.row(i)[d] = rows[i][d];
  }
  return m;
}

class PoolingTest : public ::testing::Test {
 protected:
  // Four frames of two values; column 0 = {1, 3, 2, 6}, column 1 =
  // {10, -2, 4, 0}.
  FrameMatrix frames_ = MakeFrames({{1, 10}, {3, -2}, {2, 4}, {6, 0}});
};

TEST_F(PoolingTest, MeanIsPerDimensionAverage) {
  auto v = Pool(frames_, Pooling::kMean);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(*v, ElementsAre(FloatEq(3.0f), FloatEq(3.0f)));
}

TEST_F(PoolingTest, MedianOfEvenCountAveragesTheMiddleTwo) {
  auto v = Pool(frames_, Pooling::kMedian);
  ASSERT_TRUE(v.ok()) << v.status();
  // Sorted: {1, 2, 3, 6} -> 2.5; {-2, 0, 4, 10} -> 2.
  EXPECT_THAT(*v, ElementsAre(FloatEq(2.5f), FloatEq(2.0f)));
}

TEST_F(PoolingTest, MedianOfOddCountIsTheMiddleValue) {
  auto v = Pool(MakeFrames({{5, -1}, {1, 7}, {3, 2}}), Pooling::kMedian);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(*v, ElementsAre(FloatEq(3.0f), FloatEq(2.0f)));
}

TEST_F(PoolingTest, MaxIsPerDimensionMaximum) {
  auto v = Pool(frames_, Pooling::kMax);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_THAT(*v, ElementsAre(FloatEq(6.0f), FloatEq(10.0f)));
}

TEST_F(PoolingTest, MeanStdIsMeansThenPopulationStandardDeviations) {
  auto v = Pool(frames_, Pooling::kMeanStd);
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 4u);
  EXPECT_EQ(PooledDim(Pooling::kMeanStd, 2), 4);
  // Deviations {-2, 0, -1, 3}: 14 / 4; {7, -5, 1, -3}: 84 / 4.
  EXPECT_THAT(
      *v, ElementsAre(FloatEq(3.0f), FloatEq(3.0f), FloatEq(std::sqrt(3.5f)),
                      FloatEq(std::sqrt(21.0f))));
}

TEST_F(PoolingTest, SingleFrameHasZeroDeviationAndItselfAsEveryStatistic) {
  FrameMatrix one = MakeFrames({{4, -3, 0.5f}});
  for (Pooling p : {Pooling::kMean, Pooling::kMedian, Pooling::kMax}) {
    auto v = Pool(one, p);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_THAT(*v, ElementsAre(4.0f, -3.0f, 0.5f)) << PoolingName(p);
  }
  auto ms = Pool(one, Pooling::kMeanStd);
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_THAT(*ms, ElementsAre(4.0f, -3.0f, 0.5f, 0.0f, 0.0f, 0.0f));
}

TEST_F(PoolingTest, RejectsEmptyAndNonFiniteFrames) {
  EXPECT_EQ(Pool(FrameMatrix(), Pooling::kMean).status().code(),
            absl::StatusCode::kInvalidArgument);
  FrameMatrix bad = frames_;
  bad.row(2)[1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Pool(bad, Pooling::kMax).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
