// Test support: make audio in code and on disk for tests. Synthesised
// signals, WAV writers, the `ffmpeg` CLI to encode a WAV into any format, and
// a self-cleaning temp dir. Link with `soundsearch_test_support` and include
// as "support/test_audio.h".
//
// Signals are interleaved float32: frame i, channel c is at [i * channels + c].
// Thread-safety: every function is safe to call from many threads; a TempDir
// is not shared.
#ifndef SOUNDSEARCH_TESTS_SUPPORT_TEST_AUDIO_H_
#define SOUNDSEARCH_TESTS_SUPPORT_TEST_AUDIO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {
namespace test {

// Mono sine of `frequency_hz`, `seconds` long (round(seconds * rate)
// samples), peak `amplitude`, starting at phase 0.
std::vector<float> Sine(double frequency_hz, double seconds, int sample_rate,
                        float amplitude = 0.5f);
// Mono uniform white noise in [-amplitude, amplitude], reproducible by seed.
std::vector<float> WhiteNoise(double seconds, int sample_rate,
                              float amplitude = 0.5f, uint32_t seed = 1);
// Mono zeros.
std::vector<float> Silence(double seconds, int sample_rate);
// Mono constant `value` (DC).
std::vector<float> Constant(float value, double seconds, int sample_rate);

// Interleaves equal-length mono channels into one buffer.
std::vector<float> Interleave(const std::vector<std::vector<float>>& channels);
// Plain mean over channels of an interleaved buffer (what the decoder's
// downmix computes).
std::vector<float> MeanOfChannels(absl::Span<const float> interleaved,
                                  int channels);

// Writes an IEEE-float32 WAV (format tag 3; WAVE_FORMAT_EXTENSIBLE when
// channels > 2) of interleaved `samples`.
absl::Status WriteFloatWav(const std::string& path,
                           absl::Span<const float> samples, int sample_rate,
                           int channels);
// Writes a PCM16 WAV; samples are clipped to [-1, 1] and rounded to
// round(x * 32767).
absl::Status WritePcm16Wav(const std::string& path,
                           absl::Span<const float> samples, int sample_rate,
                           int channels);

// Runs `ffmpeg -nostdin -hide_banner -loglevel error -y -i <input>
// <args...> <output>` (no shell involved). `args` carry the codec and
// format, e.g. {"-c:a", "flac"} or {"-c:a", "libopus", "-b:a", "64k"}.
// Internal error with ffmpeg's stderr when it fails.
absl::Status EncodeWithFfmpeg(const std::string& input,
                              const std::string& output,
                              const std::vector<std::string>& args);
// One output of EncodeManyWithFfmpeg: the file and the options before it.
struct EncodeTarget {
  std::string output;
  std::vector<std::string> args;
};
// Encodes `input` into every target in one ffmpeg run (much cheaper than one
// process per output): `ffmpeg ... -i <input> <args1...> <output1>
// <args2...> <output2> ...`.
absl::Status EncodeManyWithFfmpeg(const std::string& input,
                                  const std::vector<EncodeTarget>& targets);
// Runs `ffmpeg -nostdin -hide_banner -loglevel error -y <args...>` for any
// other use (e.g. lavfi sources: {"-f", "lavfi", "-i", "testsrc", ...}).
absl::Status RunFfmpeg(const std::vector<std::string>& args);

// Whole file as bytes.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);
absl::Status WriteFileBytes(const std::string& path, const std::string& bytes);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the TempDir is destroyed. Movable, not copyable.
class TempDir {
 public:
  static absl::StatusOr<TempDir> Create();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(const std::string& name) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;  // empty once moved from
};

}  // namespace test
}  // namespace soundsearch

#endif  // SOUNDSEARCH_TESTS_SUPPORT_TEST_AUDIO_H_
