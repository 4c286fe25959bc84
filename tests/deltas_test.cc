#include "features/deltas.h"

#include "gtest/gtest.h"

namespace soundsearch {
namespace {

class DeltasTest : public ::testing::Test {
 protected:
  // frames x 2 matrix: column 0 = slope * t, column 1 = constant 5.
  FrameMatrix Ramp(int frames, float slope) {
    FrameMatrix m(frames, 2);
    for (int t = 0; t < frames; ++t) {
      m.row(t)[0] = slope * t;
      m.row(t)[1] = 5.0f;
    }
    return m;
  }
};

TEST_F(DeltasTest, LinearRampHasItsSlopeInTheInterior) {
  const FrameMatrix in = Ramp(10, 2.0f);
  FrameMatrix out(10, 5);
  WriteDeltas(in, kDeltaWidth, out, /*out_offset=*/3);
  for (int t = kDeltaWidth; t < 10 - kDeltaWidth; ++t) {
    EXPECT_FLOAT_EQ(out.row(t)[3], 2.0f) << t;
    EXPECT_FLOAT_EQ(out.row(t)[4], 0.0f) << t;
  }
  // Edges repeat the end frame: t = 0 sees c = 0,0,0,2,4 -> (2 + 2*4) / 10.
  EXPECT_FLOAT_EQ(out.row(0)[3], 1.0f);
  EXPECT_FLOAT_EQ(out.row(9)[3], 1.0f);
  for (int t = 0; t < 10; ++t) {
    for (int d = 0; d < 3; ++d) EXPECT_EQ(out.row(t)[d], 0.0f);  // untouched
  }
}

TEST_F(DeltasTest, SingleFrameHasZeroDeltas) {
  const FrameMatrix in = Ramp(1, 3.0f);
  FrameMatrix out(1, 2);
  out.row(0)[0] = out.row(0)[1] = 7.0f;
  WriteDeltas(in, kDeltaWidth, out, 0);
  EXPECT_EQ(out.row(0)[0], 0.0f);
  EXPECT_EQ(out.row(0)[1], 0.0f);
}

}  // namespace
}  // namespace soundsearch
