// The "mfcc" encoder against the independent numpy reference
// (tools/fixtures/make_mfcc_fixture.py -> tests/data/mfcc_fixture.json).
#include <cmath>
#include <memory>
#include <vector>

#include "dsp_test_signals.h"
#include "gtest/gtest.h"
#include "soundsearch/encoder.h"

namespace soundsearch {
namespace {

using testing_signals::MakeFixtureSignal;
using testing_signals::Sine;

class MfccEncoderTest : public ::testing::Test {
 protected:
  std::unique_ptr<Encoder> Make(const EncoderOptions& options) {
    auto encoder = Encoder::Create(options);
    EXPECT_TRUE(encoder.ok()) << encoder.status();
    return encoder.ok() ? *std::move(encoder) : nullptr;
  }
  static EncoderOptions Mfcc() {
    EncoderOptions o;
    o.kind = "mfcc";
    return o;
  }
};

TEST_F(MfccEncoderTest, ShapeAndOptions) {
  auto encoder = Make(Mfcc());
  ASSERT_NE(encoder, nullptr);
  EXPECT_EQ(encoder->kind(), "mfcc");
  EXPECT_EQ(encoder->frame_dim(), 20);
  EncoderOptions o = Mfcc();
  o.mfcc_deltas = true;
  auto with_deltas = Make(o);
  ASSERT_NE(with_deltas, nullptr);
  EXPECT_EQ(with_deltas->frame_dim(), 40);
  o = Mfcc();
  o.n_mfcc = 41;  // more than the 40 mel bands
  EXPECT_EQ(Encoder::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Mfcc();
  o.sample_rate = 100;
  EXPECT_EQ(Encoder::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(encoder->Encode({}).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Deltas on: first half identical to the plain frames.
  const auto pcm = Sine(500, 0.4, 22050, 22050);
  auto a = encoder->Encode(pcm);
  auto b = with_deltas->Encode(pcm);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->frames.num_frames(), b->frames.num_frames());
  for (int t = 0; t < a->frames.num_frames(); ++t) {
    for (int k = 0; k < 20; ++k)
      ASSERT_EQ(a->frames.row(t)[k], b->frames.row(t)[k]);
  }
}

// Tolerance: the log-mel front end is held to 1e-3 (ln units) against the
// same reference in log_mel_test (measured ~1.5e-5). The ortho DCT preserves
// the L2 norm, so an error vector e on the M log-mel bands moves each MFCC
// by at most ||e||_2 <= sqrt(M) * 1e-3 (6.3e-3 for M = 40).
TEST_F(MfccEncoderTest, MatchesNumpyReference) {
  const nlohmann::json fixture = testing_signals::ReadFixture();
  ASSERT_FALSE(fixture.is_discarded());
  bool found = false;
  for (const auto& c : fixture["cases"]) {
    if (c["name"] != "mfcc_encoder_default") continue;
    found = true;
    EncoderOptions o = Mfcc();
    // The fixture case was made with the encoder's defaults; check they agree.
    ASSERT_EQ(o.sample_rate, c["sample_rate"].get<int>());
    ASSERT_EQ(o.n_fft, c["n_fft"].get<int>());
    ASSERT_EQ(o.hop_length, c["hop_length"].get<int>());
    ASSERT_EQ(o.mfcc_n_mels, c["n_mels"].get<int>());
    ASSERT_EQ(o.n_mfcc, c["n_mfcc"].get<int>());
    auto encoder = Make(o);
    ASSERT_NE(encoder, nullptr);
    auto clip =
        encoder->Encode(MakeFixtureSignal(c["sample_rate"], c["n_samples"]));
    ASSERT_TRUE(clip.ok()) << clip.status();
    const auto& ref = c["mfcc"];
    ASSERT_EQ(clip->frames.num_frames(), static_cast<int>(ref.size()));
    const double tolerance =
        std::sqrt(static_cast<double>(o.mfcc_n_mels)) * 1e-3;
    double max_err = 0.0;
    for (int t = 0; t < clip->frames.num_frames(); ++t) {
      for (int k = 0; k < o.n_mfcc; ++k) {
        const double want = ref[t][k].get<double>();
        max_err = std::max(max_err, std::abs(clip->frames.row(t)[k] - want));
        EXPECT_NEAR(clip->frames.row(t)[k], want, tolerance)
            << "frame " << t << " c" << k;
      }
    }
    std::cout << "mfcc max |err| = " << max_err << " (tolerance " << tolerance
              << ")\n";
    EXPECT_FALSE(clip->flags.silent);
    EXPECT_FALSE(clip->flags.too_short);
  }
  EXPECT_TRUE(found) << "fixture lacks the mfcc_encoder_default case";
}

TEST_F(MfccEncoderTest, SilenceAndShortClipsAreFiniteAndFlagged) {
  EncoderOptions o = Mfcc();
  o.mfcc_deltas = true;
  auto encoder = Make(o);
  ASSERT_NE(encoder, nullptr);
  auto check = [&](const std::vector<float>& pcm, bool silent, bool too_short) {
    auto clip = encoder->Encode(pcm);
    ASSERT_TRUE(clip.ok()) << clip.status();
    ASSERT_GE(clip->frames.num_frames(), 1);
    for (float v : clip->frames.data) ASSERT_TRUE(std::isfinite(v));
    EXPECT_EQ(clip->flags.silent, silent);
    EXPECT_EQ(clip->flags.too_short, too_short);
  };
  check(std::vector<float>(22050, 0.0f), true, false);
  check(std::vector<float>(22050, 0.25f), false, false);
  check(std::vector<float>{0.5f}, false, true);
  check(std::vector<float>(10, 0.0f), true, true);
}

}  // namespace
}  // namespace soundsearch
