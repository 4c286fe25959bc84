#include "features/fft.h"

#include <cmath>
#include <complex>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

// Direct O(N^2) DFT in double precision: the reference.
std::vector<std::complex<double>> DirectDft(const std::vector<float>& x) {
  const int n = static_cast<int>(x.size());
  std::vector<std::complex<double>> out(n / 2 + 1);
  for (int k = 0; k <= n / 2; ++k) {
    std::complex<double> sum = 0.0;
    for (int j = 0; j < n; ++j) {
      const double angle = -2.0 * M_PI * static_cast<double>(k) * j / n;
      sum += static_cast<double>(x[j]) *
             std::complex<double>(std::cos(angle), std::sin(angle));
    }
    out[k] = sum;
  }
  return out;
}

class RealFftTest : public ::testing::Test {
 protected:
  std::vector<float> RandomSignal(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    return x;
  }

  // Max |FFTW - DFT| over bins, relative to the largest reference magnitude.
  double MaxRelativeError(const RealFft& fft, const std::vector<float>& x) {
    RealFft::Buffers buffers = fft.MakeBuffers();
    std::copy(x.begin(), x.end(), buffers.real());
    fft.Forward(buffers);
    const auto reference = DirectDft(x);
    double max_ref = 0.0, max_err = 0.0;
    for (size_t k = 0; k < reference.size(); ++k) {
      const std::complex<double> got(buffers.spectrum()[k].real(),
                                     buffers.spectrum()[k].imag());
      max_ref = std::max(max_ref, std::abs(reference[k]));
      max_err = std::max(max_err, std::abs(got - reference[k]));
    }
    return max_err / max_ref;
  }
};

TEST_F(RealFftTest, RejectsTooSmallSize) {
  EXPECT_EQ(RealFft::Create(1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RealFft::Create(0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RealFftTest, MatchesDirectDftForPowerOfTwoAndOddSizes) {
  for (int n : {2, 8, 512, 1024, 1000, 441, 97}) {
    auto fft = RealFft::Create(n);
    ASSERT_TRUE(fft.ok()) << fft.status();
    EXPECT_EQ((*fft)->num_bins(), n / 2 + 1);
    // float32 FFT error grows like eps * log2(n); 1e-5 of the peak bin is
    // ~100 eps, far below any indexing or sign error (which is O(1)).
    EXPECT_LT(MaxRelativeError(**fft, RandomSignal(n, 7 + n)), 1e-5)
        << "n=" << n;
  }
}

TEST_F(RealFftTest, InverseOfForwardIsNTimesInput) {
  const int n = 1024;
  auto fft = RealFft::Create(n);
  ASSERT_TRUE(fft.ok());
  const std::vector<float> x = RandomSignal(n, 3);
  RealFft::Buffers buffers = (*fft)->MakeBuffers();
  std::copy(x.begin(), x.end(), buffers.real());
  (*fft)->Forward(buffers);
  (*fft)->Inverse(buffers);
  for (int i = 0; i < n; ++i) {
    EXPECT_NEAR(buffers.real()[i] / n, x[i], 1e-5f) << i;
  }
}

TEST_F(RealFftTest, PowerSpectrumOfCosineHasOnePeak) {
  const int n = 256, bin = 10;
  auto fft = RealFft::Create(n);
  ASSERT_TRUE(fft.ok());
  RealFft::Buffers buffers = (*fft)->MakeBuffers();
  for (int i = 0; i < n; ++i) {
    buffers.real()[i] = static_cast<float>(std::cos(2.0 * M_PI * bin * i / n));
  }
  (*fft)->Forward(buffers);
  std::vector<float> power((*fft)->num_bins());
  (*fft)->PowerSpectrum(buffers, absl::MakeSpan(power));
  // |X[bin]| = n/2 for a unit cosine on a bin centre; others ~0.
  EXPECT_NEAR(power[bin], (n / 2.0) * (n / 2.0), 1e-2 * (n / 2.0) * (n / 2.0));
  for (int k = 0; k < (*fft)->num_bins(); ++k) {
    if (k != bin) EXPECT_LT(power[k], 1e-6f * power[bin]) << k;
  }
}

TEST_F(RealFftTest, ConcurrentForwardAndCreateAgreeWithSerial) {
  auto fft = RealFft::Create(512);
  ASSERT_TRUE(fft.ok());
  const std::vector<float> x = RandomSignal(512, 11);
  RealFft::Buffers serial = (*fft)->MakeBuffers();
  std::copy(x.begin(), x.end(), serial.real());
  (*fft)->Forward(serial);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Plans made concurrently exercise the planner mutex.
      auto local = RealFft::Create(256 + t);
      if (!local.ok()) ++mismatches[t];
      RealFft::Buffers buffers = (*fft)->MakeBuffers();
      for (int rep = 0; rep < 200; ++rep) {
        std::copy(x.begin(), x.end(), buffers.real());
        (*fft)->Forward(buffers);
        for (int k = 0; k < (*fft)->num_bins(); ++k) {
          if (buffers.spectrum()[k] != serial.spectrum()[k]) ++mismatches[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace soundsearch
