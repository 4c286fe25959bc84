// The "dsp" encoder through the public Encoder interface and its layout.
#include <cmath>
#include <memory>
#include <thread>
#include <vector>

#include "dsp_test_signals.h"
#include "gtest/gtest.h"
#include "soundsearch/dsp_frame_layout.h"
#include "soundsearch/encoder.h"

namespace soundsearch {
namespace {

using testing_signals::HarmonicTone;
using testing_signals::Sine;
using testing_signals::WhiteNoise;

class DspEncoderTest : public ::testing::Test {
 protected:
  static constexpr int kRate = 22050;

  std::unique_ptr<Encoder> Make(const EncoderOptions& options) {
    auto encoder = Encoder::Create(options);
    EXPECT_TRUE(encoder.ok()) << encoder.status();
    return encoder.ok() ? *std::move(encoder) : nullptr;
  }
  static EncoderOptions Dsp() {
    EncoderOptions o;
    o.kind = "dsp";
    return o;
  }
  static void ExpectAllFinite(const EncodedClip& clip) {
    for (size_t i = 0; i < clip.frames.data.size(); ++i) {
      ASSERT_TRUE(std::isfinite(clip.frames.data[i]))
          << "value " << i << " (column " << i % clip.frames.dim << ")";
    }
  }
  // Mean of column `col` over the middle frames (away from edge effects).
  static float MiddleMean(const EncodedClip& clip, int col) {
    const int frames = clip.frames.num_frames();
    double sum = 0.0;
    int n = 0;
    for (int t = 3; t < frames - 3; ++t, ++n) sum += clip.frames.row(t)[col];
    return static_cast<float>(sum / n);
  }
};

TEST_F(DspEncoderTest, DefaultLayoutIs200Columns) {
  auto encoder = Make(Dsp());
  ASSERT_NE(encoder, nullptr);
  EXPECT_EQ(encoder->kind(), "dsp");
  EXPECT_EQ(encoder->sample_rate(), kRate);
  auto layout = DspFrameLayout::For(Dsp());
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(layout->base_dim, 64 + 20 + 5 + 7 + 1 + 1 + 2);
  EXPECT_EQ(layout->frame_dim, 200);
  EXPECT_EQ(encoder->frame_dim(), layout->frame_dim);
  EXPECT_EQ(layout->log_mel.offset, 0);
  EXPECT_EQ(layout->mfcc.offset, 64);
  EXPECT_EQ(layout->pitch.offset + layout->pitch.size, layout->base_dim);
  EXPECT_EQ(layout->Delta(layout->mfcc).offset, 100 + 64);
  const auto names = layout->ColumnNames();
  ASSERT_EQ(static_cast<int>(names.size()), 200);
  EXPECT_EQ(names[layout->spectral_shape.offset + DspFrameLayout::kRolloff],
            "spectral_rolloff");
  EXPECT_EQ(names[layout->Delta(layout->pitch).offset], "delta_f0");
}

TEST_F(DspEncoderTest, RejectsBadOptionsAndInput) {
  EncoderOptions o = Dsp();
  o.dsp_log_mel = o.dsp_mfcc = o.dsp_spectral_shape = o.dsp_contrast =
      o.dsp_zcr = o.dsp_rms = o.dsp_pitch = false;
  EXPECT_EQ(Encoder::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Dsp();
  o.n_mfcc = o.dsp_n_mels + 1;
  EXPECT_EQ(Encoder::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Dsp();
  o.hop_length = 0;
  EXPECT_EQ(Encoder::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Dsp();
  o.n_fft = 32;  // below the 64-sample minimum
  EXPECT_EQ(Encoder::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = Dsp();
  o.sample_rate = 4000;
  EXPECT_EQ(Encoder::Create(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  // A short frame narrows the pitch search range instead of failing.
  o = Dsp();
  o.n_fft = 128;
  o.hop_length = 64;
  EXPECT_TRUE(Encoder::Create(o).ok());

  auto encoder = Make(Dsp());
  ASSERT_NE(encoder, nullptr);
  EXPECT_EQ(encoder->Encode({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<float> bad(4000, 0.1f);
  bad[100] = std::nanf("");
  EXPECT_EQ(encoder->Encode(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DspEncoderTest, FrameCountFollowsHop) {
  auto encoder = Make(Dsp());
  ASSERT_NE(encoder, nullptr);
  auto clip = encoder->Encode(Sine(440, 0.5, kRate, kRate));
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(clip->frames.num_frames(), 1 + kRate / 512);
  EXPECT_EQ(clip->frames.dim, 200);
  EXPECT_FALSE(clip->flags.silent);
  EXPECT_FALSE(clip->flags.too_short);
  ExpectAllFinite(*clip);
}

TEST_F(DspEncoderTest, SilenceDcAndShortClipsAreFiniteAndFlagged) {
  auto encoder = Make(Dsp());
  ASSERT_NE(encoder, nullptr);
  struct Case {
    const char* name;
    std::vector<float> pcm;
    bool silent, too_short;
  };
  const std::vector<Case> cases = {
      {"silence", std::vector<float>(kRate, 0.0f), true, false},
      {"near-silence", Sine(440, 1e-4, kRate, kRate), true, false},
      {"dc", std::vector<float>(kRate, 0.5f), false, false},
      {"negative dc", std::vector<float>(kRate, -1.0f), false, false},
      {"one sample", std::vector<float>{0.3f}, false, true},
      {"one zero sample", std::vector<float>{0.0f}, true, true},
      {"100 samples", Sine(440, 0.5, kRate, 100), false, true},
      {"short silence", std::vector<float>(1000, 0.0f), true, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto clip = encoder->Encode(c.pcm);
    ASSERT_TRUE(clip.ok()) << clip.status();
    EXPECT_GE(clip->frames.num_frames(), 1);
    EXPECT_EQ(clip->frames.dim, encoder->frame_dim());
    ExpectAllFinite(*clip);
    EXPECT_EQ(clip->flags.silent, c.silent);
    EXPECT_EQ(clip->flags.too_short, c.too_short);
  }
  // DC: no crossings, no pitch, RMS = level.
  auto layout = *DspFrameLayout::For(Dsp());
  auto dc = encoder->Encode(std::vector<float>(kRate, 0.5f));
  ASSERT_TRUE(dc.ok());
  EXPECT_EQ(MiddleMean(*dc, layout.zcr.offset), 0.0f);
  EXPECT_NEAR(MiddleMean(*dc, layout.rms.offset), 0.5f, 1e-5f);
  EXPECT_EQ(MiddleMean(*dc, layout.pitch.offset + DspFrameLayout::kF0), 0.0f);
}

TEST_F(DspEncoderTest, DescriptorsReadKnownSignals) {
  auto encoder = Make(Dsp());
  ASSERT_NE(encoder, nullptr);
  const auto layout = *DspFrameLayout::For(Dsp());
  const int shape = layout.spectral_shape.offset;

  auto tone = encoder->Encode(HarmonicTone(220.0, 6, 0.2, kRate, kRate));
  ASSERT_TRUE(tone.ok());
  EXPECT_NEAR(MiddleMean(*tone, layout.pitch.offset + DspFrameLayout::kF0),
              0.220f, 0.02f * 0.220f);
  EXPECT_GT(
      MiddleMean(*tone, layout.pitch.offset + DspFrameLayout::kPeriodicity),
      0.9f);

  auto sine = encoder->Encode(Sine(2000, 0.5, kRate, kRate));
  ASSERT_TRUE(sine.ok());
  EXPECT_NEAR(MiddleMean(*sine, shape + DspFrameLayout::kCentroid), 2.0f,
              0.04f);
  EXPECT_LT(MiddleMean(*sine, shape + DspFrameLayout::kFlatness), 0.05f);
  EXPECT_NEAR(MiddleMean(*sine, layout.zcr.offset), 2.0 * 2000 / kRate, 0.002f);
  EXPECT_NEAR(MiddleMean(*sine, layout.rms.offset), 0.5f / std::sqrt(2.0f),
              0.01f);
  // Stationary: flux and every delta ~0 in the middle.
  EXPECT_LT(MiddleMean(*sine, shape + DspFrameLayout::kFlux), 0.01f);
  const DspRange deltas = layout.Delta(layout.spectral_shape);
  EXPECT_NEAR(MiddleMean(*sine, deltas.offset + DspFrameLayout::kCentroid),
              0.0f, 1e-3f);

  auto noise = encoder->Encode(WhiteNoise(0.5, kRate, 9));
  ASSERT_TRUE(noise.ok());
  EXPECT_GT(MiddleMean(*noise, shape + DspFrameLayout::kFlatness), 0.85f);
  EXPECT_LT(
      MiddleMean(*noise, layout.pitch.offset + DspFrameLayout::kPeriodicity),
      0.6f);
}

// Every group, emitted alone, fills exactly the columns the full layout
// assigns to it: the layout is what the encoder writes.
TEST_F(DspEncoderTest, EachGroupAloneMatchesItsColumnsInTheFullFrame) {
  auto full_encoder = Make(Dsp());
  ASSERT_NE(full_encoder, nullptr);
  const auto full_layout = *DspFrameLayout::For(Dsp());
  const auto pcm = HarmonicTone(330.0, 5, 0.2, kRate, kRate / 2);
  auto full = full_encoder->Encode(pcm);
  ASSERT_TRUE(full.ok());

  using Member = bool EncoderOptions::*;
  using Range = DspRange DspFrameLayout::*;
  const std::vector<std::pair<Member, Range>> groups = {
      {&EncoderOptions::dsp_log_mel, &DspFrameLayout::log_mel},
      {&EncoderOptions::dsp_mfcc, &DspFrameLayout::mfcc},
      {&EncoderOptions::dsp_spectral_shape, &DspFrameLayout::spectral_shape},
      {&EncoderOptions::dsp_contrast, &DspFrameLayout::contrast},
      {&EncoderOptions::dsp_zcr, &DspFrameLayout::zcr},
      {&EncoderOptions::dsp_rms, &DspFrameLayout::rms},
      {&EncoderOptions::dsp_pitch, &DspFrameLayout::pitch},
  };
  for (size_t g = 0; g < groups.size(); ++g) {
    SCOPED_TRACE(g);
    EncoderOptions o = Dsp();
    o.dsp_log_mel = o.dsp_mfcc = o.dsp_spectral_shape = o.dsp_contrast =
        o.dsp_zcr = o.dsp_rms = o.dsp_pitch = false;
    o.*(groups[g].first) = true;
    auto encoder = Make(o);
    ASSERT_NE(encoder, nullptr);
    const auto layout = *DspFrameLayout::For(o);
    const DspRange mine = layout.*(groups[g].second);
    const DspRange theirs = full_layout.*(groups[g].second);
    ASSERT_EQ(mine.offset, 0);
    ASSERT_EQ(mine.size, theirs.size);
    EXPECT_EQ(encoder->frame_dim(), 2 * mine.size);
    auto alone = encoder->Encode(pcm);
    ASSERT_TRUE(alone.ok());
    ASSERT_EQ(alone->frames.num_frames(), full->frames.num_frames());
    for (int t = 0; t < full->frames.num_frames(); ++t) {
      for (int i = 0; i < mine.size; ++i) {
        ASSERT_EQ(alone->frames.row(t)[i],
                  full->frames.row(t)[theirs.offset + i]);
        ASSERT_EQ(alone->frames.row(t)[layout.Delta(mine).offset + i],
                  full->frames.row(t)[full_layout.Delta(theirs).offset + i]);
      }
    }
  }
}

TEST_F(DspEncoderTest, DeltasOffHalvesTheFrame) {
  EncoderOptions o = Dsp();
  o.dsp_deltas = false;
  auto encoder = Make(o);
  ASSERT_NE(encoder, nullptr);
  EXPECT_EQ(encoder->frame_dim(), 100);
  auto full = Make(Dsp());
  const auto pcm = Sine(700, 0.3, kRate, 8000);
  auto a = encoder->Encode(pcm);
  auto b = full->Encode(pcm);
  ASSERT_TRUE(a.ok() && b.ok());
  for (int t = 0; t < a->frames.num_frames(); ++t) {
    for (int i = 0; i < 100; ++i)
      ASSERT_EQ(a->frames.row(t)[i], b->frames.row(t)[i]);
  }
}

TEST_F(DspEncoderTest, ConcurrentEncodesMatchSerial) {
  auto encoder = Make(Dsp());
  ASSERT_NE(encoder, nullptr);
  const auto pcm = HarmonicTone(150.0, 8, 0.2, kRate, kRate);
  auto serial = encoder->Encode(pcm);
  ASSERT_TRUE(serial.ok());
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int rep = 0; rep < 3; ++rep) {
        auto clip = encoder->Encode(pcm);
        if (!clip.ok() || clip->frames.data != serial->frames.data)
          ++mismatches[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(mismatches[i], 0);
}

}  // namespace
}  // namespace soundsearch
