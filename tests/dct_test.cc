#include "features/dct.h"

#include <cmath>
#include <vector>

#include "dsp_test_signals.h"
#include "gtest/gtest.h"

namespace soundsearch {
namespace {

class OrthoDctTest : public ::testing::Test {};

TEST_F(OrthoDctTest, RejectsBadSizes) {
  EXPECT_FALSE(OrthoDct::Create(0, 0).ok());
  EXPECT_FALSE(OrthoDct::Create(10, 11).ok());
}

TEST_F(OrthoDctTest, FullSizeTransformIsOrthonormal) {
  const int n = 16;
  auto dct = OrthoDct::Create(n, n);
  ASSERT_TRUE(dct.ok());
  std::vector<float> x(n), y(n);
  double energy = 0.0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::sin(0.7 * i) + 0.1f * i;
    energy += x[i] * x[i];
  }
  dct->Apply(x, absl::MakeSpan(y));
  double out_energy = 0.0;
  for (float v : y) out_energy += v * v;
  EXPECT_NEAR(out_energy, energy, 1e-4 * energy);  // Parseval
  // A constant maps to c0 = sqrt(n) * value, everything else 0.
  std::vector<float> c(n, 2.0f);
  dct->Apply(c, absl::MakeSpan(y));
  EXPECT_NEAR(y[0], 2.0 * std::sqrt(n), 1e-5);
  for (int k = 1; k < n; ++k) EXPECT_NEAR(y[k], 0.0, 1e-5);
}

// DCT alone against numpy: the fixture's own (float64) log-mel frames in,
// its MFCCs out; only float32 rounding of a 40-term sum separates them.
TEST_F(OrthoDctTest, MatchesNumpyOnFixtureLogMel) {
  const nlohmann::json fixture = testing_signals::ReadFixture();
  ASSERT_FALSE(fixture.is_discarded());
  for (const auto& c : fixture["cases"]) {
    const int n_mels = c["n_mels"], n_mfcc = c["n_mfcc"];
    auto dct = OrthoDct::Create(n_mels, n_mfcc);
    ASSERT_TRUE(dct.ok());
    std::vector<float> in(n_mels), out(n_mfcc);
    for (size_t t = 0; t < c["log_mel"].size(); ++t) {
      for (int m = 0; m < n_mels; ++m) in[m] = c["log_mel"][t][m];
      dct->Apply(in, absl::MakeSpan(out));
      for (int k = 0; k < n_mfcc; ++k) {
        EXPECT_NEAR(out[k], c["mfcc"][t][k].get<double>(), 1e-4)
            << c["name"] << " frame " << t << " k " << k;
      }
    }
  }
}

}  // namespace
}  // namespace soundsearch
