#include "features/framing.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

class FramingTest : public ::testing::Test {
 protected:
  static std::vector<float> Ramp(int n) {
    std::vector<float> x(n);
    for (int i = 0; i < n; ++i) x[i] = static_cast<float>(i + 1);
    return x;
  }
};

TEST_F(FramingTest, ReflectPaddingMatchesNumpy) {
  // numpy.pad([1, 2, 3], 5, mode="reflect") = [2 1 2 3 2 | 1 2 3 | 2 1 2 3 2]
  const std::vector<float> padded = PadForFraming(Ramp(3), 10, true);
  const std::vector<float> expected = {2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2};
  EXPECT_EQ(padded, expected);
  // One sample is repeated.
  EXPECT_EQ(PadForFraming({0.5f}, 4, true), std::vector<float>(5, 0.5f));
  // No centring: zero-padded to one frame only when short.
  EXPECT_EQ(PadForFraming(Ramp(3), 5, false),
            (std::vector<float>{1, 2, 3, 0, 0}));
  EXPECT_EQ(PadForFraming(Ramp(6), 5, false).size(), 6u);
}

TEST_F(FramingTest, CutterFramesEqualSlicesOfThePaddedSignal) {
  for (bool center : {true, false}) {
    for (int n : {1, 2, 3, 7, 64, 100, 1000}) {
      for (int frame : {4, 16, 64}) {
        for (int hop : {1, 5, 16}) {
          const std::vector<float> x = Ramp(n);
          const std::vector<float> padded = PadForFraming(x, frame, center);
          FrameCutter cutter(x, frame, hop, center);
          ASSERT_EQ(cutter.num_frames(),
                    NumFrames(static_cast<int>(padded.size()), frame, hop));
          for (int t = 0; t < cutter.num_frames(); ++t) {
            const absl::Span<const float> f = cutter.Frame(t);
            ASSERT_EQ(static_cast<int>(f.size()), frame);
            for (int i = 0; i < frame; ++i) {
              ASSERT_EQ(f[i], padded[t * hop + i])
                  << "center " << center << " n " << n << " frame " << frame
                  << " hop " << hop << " t " << t << " i " << i;
            }
          }
        }
      }
    }
  }
}

TEST_F(FramingTest, PeriodicHannWindow) {
  const std::vector<float> w = PaddedHannWindow(8, 8);
  EXPECT_FLOAT_EQ(w[0], 0.0f);
  EXPECT_FLOAT_EQ(w[4], 1.0f);  // periodic: the peak at N/2
  EXPECT_FLOAT_EQ(w[2], 0.5f);
  const std::vector<float> padded = PaddedHannWindow(4, 8);  // left pad 2
  EXPECT_EQ(padded[0], 0.0f);
  EXPECT_EQ(padded[1], 0.0f);
  EXPECT_FLOAT_EQ(padded[4], 1.0f);
  EXPECT_EQ(padded[6], 0.0f);
  EXPECT_EQ(padded[7], 0.0f);
}

}  // namespace
}  // namespace soundsearch
