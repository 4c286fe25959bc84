#include "soundsearch/audio_decoder.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_audio.h"

namespace soundsearch {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr double kPi = 3.14159265358979323846;
constexpr double kToneHz = 1000.0;
constexpr double kClipSeconds = 1.0;

// Power of `x` at `frequency_hz` (Goertzel).
double PowerAt(const std::vector<float>& x, double frequency_hz,
               int sample_rate) {
  const double coeff = 2 * std::cos(2 * kPi * frequency_hz / sample_rate);
  double s1 = 0, s2 = 0;
  for (float v : x) {
    const double s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

// Frequency of the strongest component between 100 Hz and
// min(3.5 kHz, 0.45 * rate), scanned in 20 Hz steps (1 kHz is on the grid).
double PeakFrequency(const std::vector<float>& x, int sample_rate) {
  double best_hz = 0, best_power = -1;
  const double top = std::min(3500.0, 0.45 * sample_rate);
  for (double hz = 100; hz < top; hz += 20) {
    const double p = PowerAt(x, hz, sample_rate);
    if (p > best_power) {
      best_power = p;
      best_hz = hz;
    }
  }
  return best_hz;
}

// One way of encoding a WAV with the ffmpeg CLI.
struct Format {
  std::string name;
  std::string extension;
  std::vector<std::string> ffmpeg_args;
  std::string container;  // expected DecodedAudio::container
  std::string codec;      // expected DecodedAudio::codec
  // Lossless formats: largest |decoded - source| without resampling.
  // Lossy formats: < 0.
  double round_trip_tolerance;
  // One codec frame in samples at codec_rate (0: the source rate); bounds
  // the duration error.
  int frame_samples;
  int codec_rate;
  int max_rate;      // highest source rate the encoder takes
  int max_channels;  // most channels the encoder takes
};

// clang-format off
const std::vector<Format>& AllFormats() {
  static const auto* formats = new std::vector<Format>{
      {"wav_u8", "wav", {"-c:a", "pcm_u8"}, "wav", "pcm_u8", 1.0 / 128, 1, 0,
       96000, 6},
      {"wav_s16", "wav", {"-c:a", "pcm_s16le"}, "wav", "pcm_s16le", 1e-4, 1,
       0, 96000, 6},
      {"wav_s24", "wav", {"-c:a", "pcm_s24le"}, "wav", "pcm_s24le", 1e-4, 1,
       0, 96000, 6},
      {"wav_s32", "wav", {"-c:a", "pcm_s32le"}, "wav", "pcm_s32le", 1e-4, 1,
       0, 96000, 6},
      {"wav_f32", "wav", {"-c:a", "pcm_f32le"}, "wav", "pcm_f32le", 1e-4, 1,
       0, 96000, 6},
      {"wav_f64", "wav", {"-c:a", "pcm_f64le"}, "wav", "pcm_f64le", 1e-4, 1,
       0, 96000, 6},
      {"aiff_s16", "aiff", {"-c:a", "pcm_s16be"}, "aiff", "pcm_s16be", 1e-4,
       1, 0, 96000, 6},
      {"aiff_s24", "aiff", {"-c:a", "pcm_s24be"}, "aiff", "pcm_s24be", 1e-4,
       1, 0, 96000, 6},
      {"flac16", "flac", {"-c:a", "flac", "-sample_fmt", "s16"}, "flac",
       "flac", 1e-4, 1, 0, 96000, 6},
      {"flac24", "flac", {"-c:a", "flac", "-sample_fmt", "s32"}, "flac",
       "flac", 1e-4, 1, 0, 96000, 6},
      {"mp3", "mp3", {"-c:a", "libmp3lame", "-b:a", "128k"}, "mp3", "mp3",
       -1, 1152, 0, 48000, 2},
      {"vorbis", "ogg", {"-c:a", "libvorbis", "-q:a", "5"}, "ogg", "vorbis",
       -1, 2048, 0, 96000, 6},
      {"opus", "opus", {"-c:a", "libopus", "-b:a", "96k"}, "ogg", "opus", -1,
       960, 48000, 96000, 6},
      {"aac_m4a", "m4a", {"-c:a", "aac", "-b:a", "128k"},
       "mov,mp4,m4a,3gp,3g2,mj2", "aac", -1, 1024, 0, 96000, 6},
      {"aac_mp4", "mp4", {"-c:a", "aac", "-b:a", "128k"},
       "mov,mp4,m4a,3gp,3g2,mj2", "aac", -1, 1024, 0, 96000, 6},
      {"webm_opus", "webm", {"-c:a", "libopus", "-b:a", "96k"},
       "matroska,webm", "opus", -1, 960, 48000, 96000, 6},
      {"webm_vorbis", "webm", {"-c:a", "libvorbis"}, "matroska,webm",
       "vorbis", -1, 2048, 0, 96000, 6},
  };
  return *formats;
}
// clang-format on

const Format& FindFormat(const std::string& name) {
  for (const Format& f : AllFormats()) {
    if (f.name == name) return f;
  }
  ADD_FAILURE() << "no format " << name;
  return AllFormats()[0];
}

struct Layout {
  int rate;
  int channels;
};

// Every rate in mono, plus stereo and 5.1.
const std::vector<Layout>& AllLayouts() {
  static const auto* layouts = new std::vector<Layout>{
      {8000, 1},  {22050, 1}, {44100, 1}, {48000, 1},
      {96000, 1}, {44100, 2}, {48000, 6},
  };
  return *layouts;
}

class AudioDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_.emplace(std::move(dir).value());
    decoder_ = MakeDecoder(AudioDecoderOptions());
  }

  static std::unique_ptr<AudioDecoder> MakeDecoder(
      const AudioDecoderOptions& options) {
    auto decoder = AudioDecoder::Create(options);
    EXPECT_TRUE(decoder.ok()) << decoder.status();
    return decoder.ok() ? std::move(decoder).value() : nullptr;
  }

  // Per channel c: 0.4 * 1 kHz sine + 0.05 * noise(seed c), interleaved.
  static std::vector<float> TestSignal(int rate, int channels,
                                       double seconds = kClipSeconds) {
    std::vector<std::vector<float>> parts;
    for (int c = 0; c < channels; ++c) {
      std::vector<float> x = test::Sine(kToneHz, seconds, rate, 0.4f);
      const std::vector<float> noise =
          test::WhiteNoise(seconds, rate, 0.05f, 100 + c);
      for (size_t i = 0; i < x.size(); ++i) x[i] += noise[i];
      parts.push_back(std::move(x));
    }
    return test::Interleave(parts);
  }

  // Writes `interleaved` as a float WAV and encodes it as `format`; returns
  // the encoded file's path.
  std::string Encode(const std::vector<float>& interleaved, int rate,
                     int channels, const Format& format,
                     const std::string& stem) {
    const std::string wav = dir_->File(stem + "_source.wav");
    const std::string out = dir_->File(stem + "." + format.extension);
    const absl::Status written =
        test::WriteFloatWav(wav, interleaved, rate, channels);
    EXPECT_TRUE(written.ok()) << written;
    const absl::Status encoded =
        test::EncodeWithFfmpeg(wav, out, format.ffmpeg_args);
    EXPECT_TRUE(encoded.ok()) << encoded;
    return out;
  }

  std::string ReadBytes(const std::string& path) {
    auto bytes = test::ReadFileBytes(path);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? *bytes : std::string();
  }

  // A `seconds` long (1, 2, 3 or 4), 44.1 kHz mono test signal encoded as
  // `format_name`; made once for the whole suite by SetUpTestSuite (one
  // ffmpeg run per length). Tests may read it, not modify it.
  static std::string EncodeLongClip(const std::string& format_name,
                                    double seconds = 3.0) {
    const std::string key = absl::StrCat(format_name, "_", seconds);
    const auto it = clips_->find(key);
    EXPECT_NE(it, clips_->end()) << "no shared clip " << key;
    return it == clips_->end() ? std::string() : it->second;
  }

  static void SetUpTestSuite() {
    auto dir = test::TempDir::Create();
    ASSERT_TRUE(dir.ok()) << dir.status();
    shared_dir_ = new test::TempDir(std::move(dir).value());
    clips_ = new std::map<std::string, std::string>();
    for (int seconds = 1; seconds <= 4; ++seconds) {
      const std::string wav =
          shared_dir_->File(absl::StrCat("long_", seconds, ".wav"));
      ASSERT_TRUE(
          test::WriteFloatWav(wav, TestSignal(44100, 1, seconds), 44100, 1)
              .ok());
      std::vector<test::EncodeTarget> targets;
      for (const char* name : {"wav_s16", "flac16", "mp3", "vorbis", "opus",
                               "aac_m4a", "webm_opus", "aiff_s24"}) {
        const Format& format = FindFormat(name);
        const std::string key =
            absl::StrCat(name, "_", static_cast<double>(seconds));
        const std::string path =
            shared_dir_->File(absl::StrCat(key, ".", format.extension));
        targets.push_back({path, format.ffmpeg_args});
        (*clips_)[key] = path;
      }
      const absl::Status encoded = test::EncodeManyWithFfmpeg(wav, targets);
      ASSERT_TRUE(encoded.ok()) << encoded;
    }
  }

  static void TearDownTestSuite() {
    delete clips_;
    clips_ = nullptr;
    delete shared_dir_;
    shared_dir_ = nullptr;
  }

  static test::TempDir* shared_dir_;
  static std::map<std::string, std::string>* clips_;
  std::optional<test::TempDir> dir_;
  std::unique_ptr<AudioDecoder> decoder_;
};

test::TempDir* AudioDecoderTest::shared_dir_ = nullptr;
std::map<std::string, std::string>* AudioDecoderTest::clips_ = nullptr;

// Checks one decode of a 1 s test signal in `format` at `layout`.
void CheckDecoded(const DecodedAudio& audio, const Format& format,
                  const Layout& layout, int output_rate) {
  EXPECT_EQ(audio.sample_rate, output_rate);
  EXPECT_EQ(audio.container, format.container);
  EXPECT_EQ(audio.codec, format.codec);
  const int codec_rate =
      format.codec_rate > 0 ? format.codec_rate : layout.rate;
  EXPECT_EQ(audio.source_sample_rate, codec_rate);
  EXPECT_EQ(audio.source_channels, layout.channels);
  EXPECT_FALSE(audio.truncated);
  EXPECT_FALSE(audio.damaged);
  EXPECT_EQ(audio.error_count, 0);
  // Duration within one codec frame (plus a few output samples of
  // resampler rounding).
  const double tolerance =
      static_cast<double>(format.frame_samples) / codec_rate +
      4.0 / output_rate;
  EXPECT_NEAR(audio.duration_seconds, kClipSeconds, tolerance);
  EXPECT_DOUBLE_EQ(audio.duration_seconds,
                   static_cast<double>(audio.samples.size()) / output_rate);
  EXPECT_NEAR(PeakFrequency(audio.samples, output_rate), kToneHz, 10.0);
  for (float x : audio.samples) ASSERT_TRUE(std::isfinite(x));
}

TEST_F(AudioDecoderTest, DecodesEveryFormatRateAndChannelCount) {
  int checked = 0;
  for (const Layout& layout : AllLayouts()) {
    // One ffmpeg run encodes this layout into every format that takes it.
    const std::vector<float> source = TestSignal(layout.rate, layout.channels);
    const std::string stem = absl::StrCat(layout.rate, "_", layout.channels);
    const std::string wav = dir_->File(stem + "_source.wav");
    ASSERT_TRUE(
        test::WriteFloatWav(wav, source, layout.rate, layout.channels).ok());
    std::vector<const Format*> formats;
    std::vector<test::EncodeTarget> targets;
    for (const Format& format : AllFormats()) {
      if (layout.rate > format.max_rate ||
          layout.channels > format.max_channels) {
        continue;
      }
      formats.push_back(&format);
      targets.push_back({dir_->File(absl::StrCat(stem, "_", format.name, ".",
                                                 format.extension)),
                         format.ffmpeg_args});
    }
    const absl::Status encoded = test::EncodeManyWithFfmpeg(wav, targets);
    ASSERT_TRUE(encoded.ok()) << encoded;

    for (size_t f = 0; f < formats.size(); ++f) {
      const Format& format = *formats[f];
      const std::string& path = targets[f].output;
      SCOPED_TRACE(absl::StrCat(format.name, " at ", layout.rate, " Hz, ",
                                layout.channels, " ch"));
      // Default rate (22050 Hz), from the file.
      auto from_file = decoder_->DecodeFile(path);
      ASSERT_TRUE(from_file.ok()) << from_file.status();
      CheckDecoded(*from_file, format, layout, 22050);
      // The same bytes from memory give the same samples.
      auto from_bytes = decoder_->DecodeBytes(ReadBytes(path));
      ASSERT_TRUE(from_bytes.ok()) << from_bytes.status();
      EXPECT_EQ(from_bytes->samples, from_file->samples);
      EXPECT_EQ(from_bytes->container, from_file->container);

      // Lossless formats at their own rate round-trip to the channel mean.
      if (format.round_trip_tolerance > 0 && layout.rate <= 48000) {
        DecodeRequest request;
        request.sample_rate = layout.rate;
        auto native = decoder_->DecodeBytes(ReadBytes(path), request);
        ASSERT_TRUE(native.ok()) << native.status();
        CheckDecoded(*native, format, layout, layout.rate);
        const std::vector<float> expected =
            test::MeanOfChannels(source, layout.channels);
        ASSERT_EQ(native->samples.size(), expected.size());
        double worst = 0;
        for (size_t i = 0; i < expected.size(); ++i) {
          worst = std::max(worst,
                           std::fabs(double{native->samples[i]} - expected[i]));
        }
        EXPECT_LE(worst, format.round_trip_tolerance);
      }
      ++checked;
    }
  }
  // 10 lossless x 7 layouts, mp3 x 5 (<= 48 kHz, <= 2 ch), 6 others x 7.
  EXPECT_EQ(checked, 10 * 7 + 5 + 6 * 7);
}

TEST_F(AudioDecoderTest, PerCallRateOverridesTheDefault) {
  const Format& format = FindFormat("flac16");
  const Layout layout{44100, 2};
  const std::string path = Encode(TestSignal(44100, 2), 44100, 2, format, "x");
  for (int rate : {8000, 16000, 32000, 48000}) {
    SCOPED_TRACE(rate);
    DecodeRequest request;
    request.sample_rate = rate;
    auto audio = decoder_->DecodeFile(path, request);
    ASSERT_TRUE(audio.ok()) << audio.status();
    CheckDecoded(*audio, format, layout, rate);
  }
}

TEST_F(AudioDecoderTest, OutputRateOutsideLimitsIsInvalidArgument) {
  const std::string path =
      Encode(TestSignal(8000, 1), 8000, 1, FindFormat("wav_s16"), "x");
  for (int rate : {7999, 48001, 96000, -1}) {
    DecodeRequest request;
    request.sample_rate = rate;
    auto audio = decoder_->DecodeFile(path, request);
    EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(audio.status().message(), HasSubstr("sample_rate"));
  }
}

TEST_F(AudioDecoderTest, BadOptionsAreRejectedByName) {
  struct Case {
    std::string field;
    AudioDecoderOptions options;
  };
  std::vector<Case> cases(6);
  cases[0].field = "max_input_bytes";
  cases[0].options.max_input_bytes = 0;
  cases[1].field = "max_duration_seconds";
  cases[1].options.max_duration_seconds = 0;
  cases[2].field = "target_sample_rate";
  cases[2].options.target_sample_rate = 96000;
  cases[3].field = "probe_bytes";
  cases[3].options.probe_bytes = 1;
  cases[4].field = "analyze_seconds";
  cases[4].options.analyze_seconds = -1;
  cases[5].field = "timeout_seconds";
  cases[5].options.timeout_seconds = -1;
  for (const Case& c : cases) {
    auto decoder = AudioDecoder::Create(c.options);
    EXPECT_EQ(decoder.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(decoder.status().message(), HasSubstr(c.field));
  }
}

TEST_F(AudioDecoderTest, SilenceAndDcAreValidAudio) {
  const Format& format = FindFormat("wav_s16");
  const std::string silent =
      Encode(test::Silence(1.0, 44100), 44100, 1, format, "silence");
  auto audio = decoder_->DecodeFile(silent);
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_FALSE(audio->damaged);
  EXPECT_EQ(audio->samples.size(), 22050u);
  for (float x : audio->samples) ASSERT_EQ(x, 0.0f);

  const std::string dc =
      Encode(test::Constant(0.25f, 1.0, 44100), 44100, 1, format, "dc");
  audio = decoder_->DecodeFile(dc);
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_FALSE(audio->damaged);
  ASSERT_EQ(audio->samples.size(), 22050u);
  // Away from the edges, where the resampling filter rings, DC stays put.
  for (size_t i = 100; i + 100 < audio->samples.size(); ++i) {
    ASSERT_NEAR(audio->samples[i], 0.25f, 1e-3) << i;
  }
}

TEST_F(AudioDecoderTest, LongInputIsCutAndFlaggedTruncated) {
  AudioDecoderOptions options;
  options.max_duration_seconds = 1.0;
  auto decoder = MakeDecoder(options);
  for (const char* name : {"wav_s16", "mp3", "vorbis"}) {
    SCOPED_TRACE(name);
    auto audio = decoder->DecodeFile(EncodeLongClip(name));
    ASSERT_TRUE(audio.ok()) << audio.status();
    EXPECT_TRUE(audio->truncated);
    EXPECT_FALSE(audio->damaged);
    EXPECT_EQ(audio->samples.size(), 22050u);
    EXPECT_NEAR(audio->declared_duration_seconds, 3.0, 0.05);
  }
  // A clip that fits is not truncated.
  auto fits = decoder->DecodeFile(Encode(TestSignal(44100, 1, 0.5), 44100, 1,
                                         FindFormat("wav_s16"), "short"));
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_FALSE(fits->truncated);
}

TEST_F(AudioDecoderTest, ConcurrentCallsOnOneDecoderAgree) {
  std::vector<std::string> paths;
  for (const char* name : {"wav_s16", "flac16", "mp3", "vorbis", "opus",
                           "aac_m4a", "webm_opus", "aiff_s24"}) {
    paths.push_back(EncodeLongClip(name, 2.0));
  }
  std::vector<std::vector<float>> expected;
  for (const std::string& path : paths) {
    auto audio = decoder_->DecodeFile(path);
    ASSERT_TRUE(audio.ok()) << audio.status();
    expected.push_back(audio->samples);
  }
  std::vector<int> mismatches(paths.size(), 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < paths.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        const size_t i = (t + round) % paths.size();
        auto audio = round % 2 == 0
                         ? decoder_->DecodeFile(paths[i])
                         : decoder_->DecodeBytes(ReadBytes(paths[i]));
        if (!audio.ok() || audio->samples != expected[i]) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t t = 0; t < paths.size(); ++t) EXPECT_EQ(mismatches[t], 0) << t;
}

// --- bad input -------------------------------------------------------------

TEST_F(AudioDecoderTest, EmptyBytesAreInvalidArgument) {
  auto audio = decoder_->DecodeBytes("");
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("empty input"));
}

TEST_F(AudioDecoderTest, EmptyFileIsInvalidArgument) {
  const std::string path = dir_->File("empty.wav");
  ASSERT_TRUE(test::WriteFileBytes(path, "").ok());
  auto audio = decoder_->DecodeFile(path);
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("empty input"));
}

TEST_F(AudioDecoderTest, MissingFileIsNotFound) {
  auto audio = decoder_->DecodeFile(dir_->File("no_such_file.wav"));
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(audio.status().message(), HasSubstr("no_such_file.wav"));
}

TEST_F(AudioDecoderTest, DirectoryIsInvalidArgument) {
  auto audio = decoder_->DecodeFile(dir_->path());
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("not a regular file"));
}

TEST_F(AudioDecoderTest, TextIsInvalidArgument) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += "The quick brown fox jumps over the lazy dog. 0123456789\n";
  }
  auto audio = decoder_->DecodeBytes(text);
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("unrecognised format"));
  // Named *.txt, FFmpeg's "tty" demuxer takes it as ANSI art: a video stream.
  const std::string path = dir_->File("notes.txt");
  ASSERT_TRUE(test::WriteFileBytes(path, text).ok());
  audio = decoder_->DecodeFile(path);
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("no audio stream"));
}

TEST_F(AudioDecoderTest, RandomBytesAreInvalidArgument) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    SCOPED_TRACE(trial);
    std::string bytes(1000 + 5000 * trial, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    auto audio = decoder_->DecodeBytes(bytes);
    EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(audio.status().message(), HasSubstr("unrecognised format"));
  }
}

TEST_F(AudioDecoderTest, ImageHasNoAudioStream) {
  const std::string png = dir_->File("red.png");
  ASSERT_TRUE(test::RunFfmpeg({"-f", "lavfi", "-i", "color=red:size=32x32",
                               "-frames:v", "1", png})
                  .ok());
  auto audio = decoder_->DecodeBytes(ReadBytes(png));
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("no audio stream"));
  EXPECT_THAT(audio.status().message(), HasSubstr("png"));
}

TEST_F(AudioDecoderTest, VideoOnlyFileHasNoAudioStream) {
  const std::string mp4 = dir_->File("video.mp4");
  ASSERT_TRUE(
      test::RunFfmpeg({"-f", "lavfi", "-i", "testsrc=size=64x64:rate=10", "-t",
                       "1", "-c:v", "mpeg4", mp4})
          .ok());
  auto audio = decoder_->DecodeFile(mp4);
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("no audio stream"));
  EXPECT_THAT(audio.status().message(), HasSubstr("video (mpeg4)"));
}

TEST_F(AudioDecoderTest, ZeroSamplesIsInvalidArgument) {
  const std::string path = dir_->File("zero.wav");
  ASSERT_TRUE(test::WritePcm16Wav(path, {}, 44100, 1).ok());
  auto audio = decoder_->DecodeFile(path);
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("zero audio samples"));
}

TEST_F(AudioDecoderTest, FileCutInsideItsHeaderIsInvalidArgument) {
  for (const char* name : {"wav_s16", "flac16", "mp3", "vorbis", "aac_m4a"}) {
    SCOPED_TRACE(name);
    const std::string bytes = ReadBytes(EncodeLongClip(name));
    auto audio = decoder_->DecodeBytes(bytes.substr(0, 40));
    EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(audio.status().message(),
                AnyOf(HasSubstr("truncated"), HasSubstr("zero audio samples")));
  }
}

TEST_F(AudioDecoderTest, M4aCutBeforeItsIndexIsInvalidArgument) {
  // ffmpeg writes the moov index last: half a file has none.
  const std::string bytes = ReadBytes(EncodeLongClip("aac_m4a"));
  auto audio = decoder_->DecodeBytes(bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(audio.status().message(), HasSubstr("truncated or corrupted"));
}

TEST_F(AudioDecoderTest, FileCutHalfwayDecodesTheFirstHalfAsDamaged) {
  // Formats whose header declares the length (FLAC STREAMINFO, the MP3
  // Xing/LAME frame count). A cut Ogg or WAV looks like a short file.
  for (const char* name : {"flac16", "mp3"}) {
    SCOPED_TRACE(name);
    const std::string bytes = ReadBytes(EncodeLongClip(name, 4.0));
    auto audio = decoder_->DecodeBytes(bytes.substr(0, bytes.size() / 2));
    ASSERT_TRUE(audio.ok()) << audio.status();
    EXPECT_TRUE(audio->damaged);
    EXPECT_NEAR(audio->duration_seconds, 2.0, 0.3);
  }
}

TEST_F(AudioDecoderTest, WavCutHalfwayDecodesWhatIsThere) {
  // FFmpeg's WAV demuxer clamps the data size in the header to the file, so
  // a cut WAV is indistinguishable from a short one: accepted, not damaged.
  const std::string bytes = ReadBytes(EncodeLongClip("wav_s16", 4.0));
  auto audio = decoder_->DecodeBytes(bytes.substr(0, bytes.size() / 2));
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_NEAR(audio->duration_seconds, 2.0, 0.01);
}

TEST_F(AudioDecoderTest, DamageInTheMiddleIsSkippedAndFlagged) {
  std::mt19937 rng(3);
  for (const char* name : {"mp3", "flac16", "vorbis"}) {
    SCOPED_TRACE(name);
    std::string bytes = ReadBytes(EncodeLongClip(name, 4.0));
    // 1 KiB of garbage at 50%.
    for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 1024; ++i) {
      bytes[i] = static_cast<char>(rng());
    }
    auto audio = decoder_->DecodeBytes(bytes);
    ASSERT_TRUE(audio.ok()) << audio.status();
    EXPECT_TRUE(audio->damaged);
    // The Ogg demuxer drops pages that fail their CRC without telling the
    // codec; the loss shows as a stream shorter than declared.
    if (std::string(name) != "vorbis") EXPECT_GT(audio->error_count, 0);
    EXPECT_GT(audio->duration_seconds, 2.5);
    EXPECT_NEAR(PeakFrequency(audio->samples, audio->sample_rate), kToneHz,
                10.0);
  }
}

TEST_F(AudioDecoderTest, CorruptedThroughoutIsInvalidArgument) {
  std::mt19937 rng(5);
  for (const char* name : {"mp3", "flac16", "wav_s16"}) {
    SCOPED_TRACE(name);
    std::string bytes = ReadBytes(EncodeLongClip(name, 2.0));
    // Keep the first 64 bytes (enough to identify the format) and garble
    // the rest.
    for (size_t i = 64; i < bytes.size(); ++i) {
      bytes[i] = static_cast<char>(rng());
    }
    auto audio = decoder_->DecodeBytes(bytes);
    EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(audio.status().message(), HasSubstr("corrupt"));
  }
}

TEST_F(AudioDecoderTest, NonFiniteSamplesAreZeroedAndFlagged) {
  std::vector<float> x = test::Sine(kToneHz, 1.0, 22050);
  x[100] = std::nanf("");
  x[200] = INFINITY;
  const std::string path = dir_->File("nan.wav");
  ASSERT_TRUE(test::WriteFloatWav(path, x, 22050, 1).ok());
  auto audio = decoder_->DecodeFile(path);
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_TRUE(audio->damaged);
  ASSERT_EQ(audio->samples.size(), x.size());
  EXPECT_EQ(audio->samples[100], 0.0f);
  EXPECT_EQ(audio->samples[200], 0.0f);
  EXPECT_EQ(audio->samples[300], x[300]);
}

TEST_F(AudioDecoderTest, InputOverTheSizeLimitIsResourceExhausted) {
  AudioDecoderOptions options;
  options.max_input_bytes = 1000;
  auto decoder = MakeDecoder(options);
  const std::string path = EncodeLongClip("wav_s16", 1.0);
  auto from_file = decoder->DecodeFile(path);
  EXPECT_EQ(from_file.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(from_file.status().message(), HasSubstr("too large"));
  auto from_bytes = decoder->DecodeBytes(ReadBytes(path));
  EXPECT_EQ(from_bytes.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(from_bytes.status().message(), HasSubstr("too large"));
}

// Found by decode_fuzzer: 81 bytes of WAV whose LIST/INFO entry claims
// 1.9 GB made FFmpeg's WAV demuxer allocate and zero 1.9 GB while opening it.
// FFmpeg's allocations are capped (64 MiB): the input is refused, and the
// process's peak memory does not grow by anything near that.
TEST_F(AudioDecoderTest, HeaderClaimingHugeMetadataAllocatesLittle) {
  const unsigned char bytes[] = {
      0x52, 0x49, 0x46, 0x46, 0xe6, 0x0f, 0x00, 0x00, 0x57, 0x41, 0x56, 0x45,
      0x66, 0x6d, 0x74, 0x20, 0x10, 0x00, 0x00, 0x00, 0x11, 0x77, 0x65, 0x62,
      0x6d, 0x1f, 0x00, 0x00, 0x80, 0x3e, 0x00, 0x00, 0x02, 0x00, 0x10, 0x00,
      0x4c, 0x49, 0x53, 0x54, 0xe2, 0xff, 0xff, 0xff, 0x49, 0x4e, 0x46, 0x4f,
      0x49, 0xbb, 0xb0, 0xb9, 0xdf, 0x69, 0x73, 0x72, 0x4c, 0x61, 0x76, 0x66,
      0x35, 0x39, 0x2e, 0x32, 0x37, 0x2e, 0x31, 0x30, 0x30, 0x00, 0x64, 0x61,
      0x74, 0x61, 0x4d, 0x4d, 0x00, 0x0f, 0x50, 0x0b, 0x00};
  struct rusage before;
  ASSERT_EQ(getrusage(RUSAGE_SELF, &before), 0);
  auto audio = decoder_->DecodeBytes(
      std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kInvalidArgument)
      << audio.status();
  struct rusage after;
  ASSERT_EQ(getrusage(RUSAGE_SELF, &after), 0);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 512 * 1024);  // KiB
}

TEST_F(AudioDecoderTest, TimeoutIsDeadlineExceeded) {
  AudioDecoderOptions options;
  options.timeout_seconds = 1e-9;
  auto decoder = MakeDecoder(options);
  auto audio = decoder->DecodeFile(EncodeLongClip("mp3", 2.0));
  EXPECT_EQ(audio.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(audio.status().message(), HasSubstr("longer than"));
}

TEST_F(AudioDecoderTest, PlaylistCannotMakeTheDecoderOpenOtherFiles) {
  const std::string target = EncodeLongClip("wav_s16", 1.0);
  const std::string playlist =
      absl::StrCat("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n", target,
                   "\n#EXTINF:1.0,\nfile:", target, "\n#EXT-X-ENDLIST\n");
  const std::string path = dir_->File("list.m3u8");
  ASSERT_TRUE(test::WriteFileBytes(path, playlist).ok());
  auto from_file = decoder_->DecodeFile(path);
  EXPECT_EQ(from_file.status().code(), absl::StatusCode::kInvalidArgument);
  auto from_bytes = decoder_->DecodeBytes(playlist);
  EXPECT_EQ(from_bytes.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace soundsearch
