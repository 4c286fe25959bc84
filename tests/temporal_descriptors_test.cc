#include "features/temporal_descriptors.h"

#include <cmath>
#include <vector>

#include "dsp_test_signals.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using testing_signals::Sine;

class TemporalDescriptorsTest : public ::testing::Test {
 protected:
  static constexpr int kRate = 22050;
  static constexpr int kLength = 1024;
};

TEST_F(TemporalDescriptorsTest, ZeroCrossingRateOfSineIsTwiceItsFrequency) {
  for (double hz : {200.0, 1000.0, 4000.0}) {
    const auto x = Sine(hz, 0.5, kRate, kLength, /*phase=*/0.1);
    const double expected = 2.0 * hz / kRate;
    // Counting whole crossings in a finite frame is off by at most one.
    EXPECT_NEAR(ZeroCrossingRate(x), expected, 1.5 / (kLength - 1)) << hz;
  }
}

TEST_F(TemporalDescriptorsTest, ZeroCrossingRateEdgeCases) {
  EXPECT_EQ(ZeroCrossingRate(std::vector<float>(kLength, 0.0f)), 0.0f);
  EXPECT_EQ(ZeroCrossingRate(std::vector<float>(kLength, -0.3f)), 0.0f);
  std::vector<float> alternating(kLength);
  for (int i = 0; i < kLength; ++i) alternating[i] = i % 2 ? 0.5f : -0.5f;
  EXPECT_EQ(ZeroCrossingRate(alternating), 1.0f);
  EXPECT_EQ(ZeroCrossingRate(std::vector<float>{0.7f}), 0.0f);
}

TEST_F(TemporalDescriptorsTest, RmsOfKnownSignals) {
  // 16 whole periods in the frame: RMS is exactly A / sqrt(2).
  const double hz = 16.0 * kRate / kLength;
  EXPECT_NEAR(Rms(Sine(hz, 0.8, kRate, kLength)), 0.8 / std::sqrt(2.0), 1e-5);
  EXPECT_NEAR(Rms(std::vector<float>(kLength, -0.25f)), 0.25f, 1e-6f);
  EXPECT_EQ(Rms(std::vector<float>(kLength, 0.0f)), 0.0f);
}

}  // namespace
}  // namespace soundsearch
