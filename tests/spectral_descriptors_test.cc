#include "features/spectral_descriptors.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "dsp_test_signals.h"
#include "features/fft.h"
#include "features/framing.h"
#include "features/lane_sum.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

using testing_signals::Sine;
using testing_signals::WhiteNoise;

constexpr int kRate = 22050;
constexpr int kFft = 1024;
constexpr double kBinHz = static_cast<double>(kRate) / kFft;

class SpectralDescriptorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = SpectralDescriptors::Create(kRate, kFft);
    ASSERT_TRUE(d.ok()) << d.status();
    descriptors_ = std::make_unique<SpectralDescriptors>(*std::move(d));
    auto fft = RealFft::Create(kFft);
    ASSERT_TRUE(fft.ok());
    fft_ = *std::move(fft);
    window_ = PaddedHannWindow(kFft, kFft);
  }

  // Power spectrum of the Hann-windowed first kFft samples, as the encoder
  // computes it.
  std::vector<float> Power(const std::vector<float>& x) {
    RealFft::Buffers b = fft_->MakeBuffers();
    for (int i = 0; i < kFft; ++i) b.real()[i] = x[i] * window_[i];
    fft_->Forward(b);
    std::vector<float> p(fft_->num_bins());
    fft_->PowerSpectrum(b, absl::MakeSpan(p));
    return p;
  }

  std::vector<float> Add(std::vector<float> a, const std::vector<float>& b) {
    for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
    return a;
  }

  std::unique_ptr<SpectralDescriptors> descriptors_;
  std::unique_ptr<RealFft> fft_;
  std::vector<float> window_;
};

TEST_F(SpectralDescriptorsTest, RejectsBadArguments) {
  EXPECT_FALSE(SpectralDescriptors::Create(0, 1024).ok());
  EXPECT_FALSE(SpectralDescriptors::Create(22050, 1).ok());
}

TEST_F(SpectralDescriptorsTest, SineCentroidSitsAtItsFrequency) {
  for (double hz : {300.0, 1000.0, 2500.0, 6000.0}) {
    const SpectralShape s =
        descriptors_->Shape(Power(Sine(hz, 0.5, kRate, kFft)));
    // Hann leakage is symmetric around the tone to within a bin.
    EXPECT_NEAR(s.centroid_hz, hz, 0.02 * hz) << hz;
    EXPECT_LT(s.spread_hz, 0.05 * hz + 3 * kBinHz) << hz;
  }
}

TEST_F(SpectralDescriptorsTest, TwoTonesCentroidAndSpreadFromMagnitudes) {
  // Equal magnitudes at 1 and 3 kHz: centroid 2 kHz, spread 1 kHz.
  const auto x =
      Add(Sine(1000, 0.3, kRate, kFft), Sine(3000, 0.3, kRate, kFft));
  const SpectralShape s = descriptors_->Shape(Power(x));
  EXPECT_NEAR(s.centroid_hz, 2000.0, 40.0);
  EXPECT_NEAR(s.spread_hz, 1000.0, 40.0);
}

TEST_F(SpectralDescriptorsTest, WhiteNoiseIsFlatAndSineIsNot) {
  double noise_sum = 0.0;
  for (unsigned seed = 1; seed <= 5; ++seed) {
    const float f =
        descriptors_->Shape(Power(WhiteNoise(0.5, kFft, seed))).flatness;
    // Band powers of 16 Hann-correlated bins behave like chi-square with
    // ~30 degrees of freedom: E[geo/arith] ~ 0.94.
    EXPECT_GT(f, 0.85f) << seed;
    EXPECT_LE(f, 1.0f + 1e-6f);
    noise_sum += f;
  }
  EXPECT_GT(noise_sum / 5, 0.9);
  std::cout << "white-noise flatness, mean of 5: " << noise_sum / 5 << "\n";
  const float sine =
      descriptors_->Shape(Power(Sine(1000, 0.5, kRate, kFft))).flatness;
  EXPECT_LT(sine, 0.05f);
  EXPECT_GE(sine, 0.0f);
}

TEST_F(SpectralDescriptorsTest, RolloffOnKnownSignals) {
  // One tone: 85% of the power is reached within its main lobe.
  SpectralShape s = descriptors_->Shape(Power(Sine(3000, 0.5, kRate, kFft)));
  EXPECT_NEAR(s.rolloff_hz, 3000.0, 2 * kBinHz);
  // Equal powers at 500 Hz and 4 kHz: the lower holds only 50%.
  s = descriptors_->Shape(
      Power(Add(Sine(500, 0.4, kRate, kFft), Sine(4000, 0.4, kRate, kFft))));
  EXPECT_NEAR(s.rolloff_hz, 4000.0, 2 * kBinHz);
  // The upper tone at 0.3 amplitude holds 0.09 / 1.09 = 8% < 15%.
  s = descriptors_->Shape(Power(Add(Sine(500, 1.0 * 0.5, kRate, kFft),
                                    Sine(4000, 0.3 * 0.5, kRate, kFft))));
  EXPECT_NEAR(s.rolloff_hz, 500.0, 2 * kBinHz);
}

TEST_F(SpectralDescriptorsTest, SilenceIsDefined) {
  const std::vector<float> zero(descriptors_->num_bins(), 0.0f);
  const SpectralShape s = descriptors_->Shape(zero);
  EXPECT_EQ(s.centroid_hz, 0.0f);
  EXPECT_EQ(s.spread_hz, 0.0f);
  EXPECT_EQ(s.rolloff_hz, 0.0f);
  EXPECT_EQ(s.flatness, 1.0f);
  std::vector<float> m(descriptors_->num_bins(), 1.0f);
  descriptors_->NormalizedMagnitude(zero, absl::MakeSpan(m));
  for (float v : m) EXPECT_EQ(v, 0.0f);
  std::vector<float> contrast(SpectralDescriptors::kNumContrastBands, -1.0f);
  std::vector<float> scratch;
  descriptors_->Contrast(zero, scratch, absl::MakeSpan(contrast));
  for (float v : contrast) EXPECT_EQ(v, 0.0f);
}

TEST_F(SpectralDescriptorsTest, FluxIsZeroForSameSpectrumAndBounded) {
  const int bins = descriptors_->num_bins();
  std::vector<float> a(bins), b(bins), c(bins);
  const auto pa = Power(Sine(1000, 0.5, kRate, kFft));
  descriptors_->NormalizedMagnitude(pa, absl::MakeSpan(a));
  // Same shape, 10x louder: L1 normalisation makes flux level-invariant.
  const auto pb = Power(Sine(1000, 0.05, kRate, kFft));
  descriptors_->NormalizedMagnitude(pb, absl::MakeSpan(b));
  EXPECT_NEAR(SpectralDescriptors::Flux(a, b), 0.0f, 1e-4f);
  const auto pc = Power(Sine(5000, 0.5, kRate, kFft));
  descriptors_->NormalizedMagnitude(pc, absl::MakeSpan(c));
  const float flux = SpectralDescriptors::Flux(a, c);
  EXPECT_GT(flux, 0.1f);
  EXPECT_LE(flux, std::sqrt(2.0f) + 1e-5f);
}

TEST_F(SpectralDescriptorsTest, ContrastIsHighForToneBandAndLowForNoise) {
  std::vector<float> scratch;
  std::vector<float> tone(SpectralDescriptors::kNumContrastBands);
  std::vector<float> noise(SpectralDescriptors::kNumContrastBands);
  // 1 kHz lies in band 3 (800-1600 Hz).
  descriptors_->Contrast(Power(Sine(1000, 0.5, kRate, kFft)), scratch,
                         absl::MakeSpan(tone));
  descriptors_->Contrast(Power(WhiteNoise(0.5, kFft, 3)), scratch,
                         absl::MakeSpan(noise));
  EXPECT_GT(tone[3], 4.0f);  // > 40 dB between the peak and the floor
  for (int b = 0; b < SpectralDescriptors::kNumContrastBands; ++b) {
    EXPECT_TRUE(std::isfinite(noise[b]));
    EXPECT_GE(noise[b], 0.0f);
  }
  EXPECT_LT(noise[3], tone[3] - 2.0f);
}

TEST_F(SpectralDescriptorsTest, ContrastOnSyntheticSpectrum) {
  // Flat power 1, with the 4 top bins of the 6400 Hz-Nyquist band (215 bins
  // at 21.5 Hz: q = round(0.02 * 215) = 4) at 1000 and one bin of the
  // 0-200 Hz band (10 bins: q = 1) at 100.
  std::vector<float> power(descriptors_->num_bins(), 1.0f);
  const int first_top_bin = static_cast<int>(std::ceil(6400.0 / kBinHz));
  ASSERT_EQ(descriptors_->num_bins() - first_top_bin, 215);
  for (int i = 0; i < 4; ++i) power[first_top_bin + 50 + 7 * i] = 1000.0f;
  power[3] = 100.0f;
  std::vector<float> scratch;
  std::vector<float> contrast(SpectralDescriptors::kNumContrastBands);
  descriptors_->Contrast(power, scratch, absl::MakeSpan(contrast));
  EXPECT_NEAR(contrast[6], 3.0f, 1e-5f);  // log10(1000 / 1)
  EXPECT_NEAR(contrast[0], 2.0f, 1e-5f);  // log10(100 / 1)
  for (int b = 1; b < 6; ++b) EXPECT_NEAR(contrast[b], 0.0f, 1e-6f) << b;
  // A single peak in the top band: the top-4 mean is (1000 + 3 * 1) / 4.
  for (int i = 0; i < 4; ++i) power[first_top_bin + 50 + 7 * i] = 1.0f;
  power[first_top_bin + 10] = 1000.0f;
  descriptors_->Contrast(power, scratch, absl::MakeSpan(contrast));
  EXPECT_NEAR(contrast[6], std::log10(1003.0 / 4.0), 1e-5);
}

// Contrast against its definition, computed here by sorting each band: the
// mean of the q largest and of the q smallest powers, q = max(1,
// round(0.02 n)). Random spectra with ties, at two FFT sizes: 1024 (the
// default; bands of up to 215 bins, q <= 4) and 8192 at 48 kHz (top band
// of 2835 bins, q = 57, past the one-pass selection's reach).
TEST(SpectralContrastTest, MatchesSortedQuantiles) {
  for (const auto& [rate, fft] : {std::pair{22050, 1024}, {48000, 8192}}) {
    auto d = SpectralDescriptors::Create(rate, fft);
    ASSERT_TRUE(d.ok()) << d.status();
    const int bins = d->num_bins();
    std::mt19937 rng(rate + fft);
    std::exponential_distribution<float> exp_power(1.0f);
    std::vector<float> scratch;
    std::vector<float> contrast(SpectralDescriptors::kNumContrastBands);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> power(bins);
      // Every fifth bin repeats the previous one: ties at the bars.
      for (int k = 0; k < bins; ++k) {
        power[k] = k % 5 == 4 ? power[k - 1] : exp_power(rng) * (1 + trial);
      }
      d->Contrast(power, scratch, absl::MakeSpan(contrast));
      const double bin_hz = static_cast<double>(rate) / fft;
      for (int b = 0; b < SpectralDescriptors::kNumContrastBands; ++b) {
        const double lo_hz = b == 0 ? 0.0 : 200.0 * (1 << (b - 1));
        const double hi_hz = b + 1 == SpectralDescriptors::kNumContrastBands
                                 ? 1e300
                                 : 200.0 * (1 << b);
        std::vector<float> band;
        for (int k = 0; k < bins; ++k) {
          if (k * bin_hz >= lo_hz && k * bin_hz < hi_hz)
            band.push_back(power[k]);
        }
        ASSERT_FALSE(band.empty());
        std::sort(band.begin(), band.end());
        const int n = static_cast<int>(band.size());
        const int q = std::max(
            1, static_cast<int>(
                   std::lround(SpectralDescriptors::kContrastQuantile * n)));
        double valley = 0, peak = 0;
        for (int i = 0; i < q; ++i) {
          valley += band[i];
          peak += band[n - 1 - i];
        }
        const double want =
            std::log10(peak / q + SpectralDescriptors::kPowerFloor) -
            std::log10(valley / q + SpectralDescriptors::kPowerFloor);
        EXPECT_NEAR(contrast[b], want, 1e-5)
            << "rate " << rate << " fft " << fft << " band " << b;
      }
    }
  }
}

// The encoder takes the magnitudes once and hands them to Shape and, L1
// normalised in place, to Flux: the same values as the one-call forms.
TEST_F(SpectralDescriptorsTest, SharedMagnitudesGiveTheSameDescriptors) {
  const std::vector<float> power = Power(WhiteNoise(0.3, kFft, 7));
  std::vector<float> magnitude(descriptors_->num_bins());
  descriptors_->Magnitude(power, absl::MakeSpan(magnitude));
  for (int k = 0; k < descriptors_->num_bins(); ++k) {
    EXPECT_EQ(magnitude[k], std::sqrt(power[k]));
  }
  const SpectralShape shared = descriptors_->Shape(power, magnitude);
  const SpectralShape alone = descriptors_->Shape(power);
  EXPECT_EQ(shared.centroid_hz, alone.centroid_hz);
  EXPECT_EQ(shared.spread_hz, alone.spread_hz);
  EXPECT_EQ(shared.rolloff_hz, alone.rolloff_hz);
  EXPECT_EQ(shared.flatness, alone.flatness);
  std::vector<float> normalized(descriptors_->num_bins());
  descriptors_->NormalizedMagnitude(power, absl::MakeSpan(normalized));
  SpectralDescriptors::NormalizeL1(magnitude, absl::MakeSpan(magnitude));
  EXPECT_EQ(magnitude, normalized);
  double sum = 0.0;
  for (float v : magnitude) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

// LaneSum against the sequential sum, for lengths around the lane count
// (the tail that does not fill a lane included).
TEST(LaneSumTest, MatchesTheSequentialSum) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> value(-1.0, 1.0);
  for (int n = 0; n <= 4 * kLaneSumLanes + 3; ++n) {
    std::vector<double> v(n);
    double sequential = 0.0;
    for (double& x : v) sequential += (x = value(rng));
    EXPECT_NEAR(LaneSum(n, [&](int i) { return v[i]; }), sequential, 1e-12)
        << n;
  }
  int calls = 0;
  EXPECT_EQ(LaneSum(10, [&](int i) { return ++calls, i; }), 45.0);
  EXPECT_EQ(calls, 10);
}

}  // namespace
}  // namespace soundsearch
