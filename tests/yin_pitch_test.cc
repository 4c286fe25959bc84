#include "features/yin_pitch.h"

#include <cmath>
#include <iostream>
#include <memory>
#include <vector>

#include "dsp_test_signals.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using testing_signals::HarmonicTone;
using testing_signals::Sine;
using testing_signals::WhiteNoise;

class YinPitchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto yin = YinPitch::Create(YinOptions());
    ASSERT_TRUE(yin.ok()) << yin.status();
    yin_ = *std::move(yin);
  }
  PitchEstimate Estimate(const std::vector<float>& x) {
    auto scratch = yin_->MakeScratch();
    return yin_->Estimate(x, scratch);
  }
  static constexpr int kRate = 22050;
  static constexpr int kLength = 1024;
  std::unique_ptr<YinPitch> yin_;
};

TEST_F(YinPitchTest, RejectsOptionsWhosePeriodDoesNotFit) {
  YinOptions o;
  o.f0_min = 30.0f;  // 735-sample period > 1024 / 2
  EXPECT_EQ(YinPitch::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = YinOptions();
  o.f0_max = o.f0_min;
  EXPECT_FALSE(YinPitch::Create(o).ok());
}

TEST_F(YinPitchTest, HarmonicToneF0WithinTwoPercent) {
  for (double f0 : {70.0, 110.0, 196.0, 261.6, 440.0, 880.0, 1500.0}) {
    const PitchEstimate p = Estimate(HarmonicTone(f0, 8, 0.3, kRate, kLength));
    EXPECT_NEAR(p.f0_hz, f0, 0.02 * f0) << f0;
    std::cout << "f0 " << f0 << " Hz -> " << p.f0_hz << " Hz, periodicity "
              << p.periodicity << "\n";
    EXPECT_GT(p.periodicity, 0.9f) << f0;
  }
}

TEST_F(YinPitchTest, MissingFundamentalStillGivesF0) {
  // Harmonics 2..6 of 200 Hz only: the period is still 1/200 s.
  std::vector<float> x(kLength, 0.0f);
  for (int h = 2; h <= 6; ++h) {
    const auto s = Sine(200.0 * h, 0.1, kRate, kLength, 0.3 * h);
    for (int i = 0; i < kLength; ++i) x[i] += s[i];
  }
  EXPECT_NEAR(Estimate(x).f0_hz, 200.0, 4.0);
}

TEST_F(YinPitchTest, NoiseIsAperiodic) {
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const PitchEstimate p = Estimate(WhiteNoise(0.5, kLength, seed));
    EXPECT_LT(p.periodicity, 0.6f) << seed;
    EXPECT_EQ(p.f0_hz, 0.0f) << seed;
  }
}

TEST_F(YinPitchTest, SilenceAndDcGiveZero) {
  for (float level : {0.0f, 0.5f, -1.0f}) {
    const PitchEstimate p = Estimate(std::vector<float>(kLength, level));
    EXPECT_EQ(p.f0_hz, 0.0f) << level;
    EXPECT_EQ(p.periodicity, 0.0f) << level;
  }
}

}  // namespace
}  // namespace soundsearch
