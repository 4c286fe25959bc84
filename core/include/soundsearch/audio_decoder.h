// AudioDecoder: turns an upload (a file or bytes in memory) in any container
// and codec that FFmpeg reads into mono float32 PCM at a requested rate.
//
// Contract (see docs/decoding.md for the full list of formats and codes):
//  - Output: mono float32 at DecodedAudio::sample_rate Hz. Channels are
//    downmixed by their plain mean; any input rate is resampled with
//    libswresample. Values are nominally in [-1, 1] (lossy codecs may
//    overshoot slightly); every sample is finite.
//  - Input longer than Options::max_duration_seconds is cut at that length
//    and flagged `truncated`; it is not an error.
//  - Input damaged in places (decode errors, non-finite samples, a stream
//    that ends before the length its header declares) is accepted with
//    `damaged` set, provided most of it decodes.
//  - Nothing outside the input is ever opened: nested I/O requested by a
//    container (playlists, references) is refused.
//
// Error codes (absl::StatusCode):
//  - kInvalidArgument: bad content (empty input, not a media file, no audio
//    stream, an unsupported codec, a truncated or corrupted file that yields
//    no usable audio, zero decoded samples, mostly undecodable input), a
//    directory path, or a per-call sample rate outside [8000, 48000].
//  - kResourceExhausted: input larger than Options::max_input_bytes, or
//    FFmpeg ran out of memory.
//  - kNotFound: DecodeFile() of a path that does not exist.
//  - kPermissionDenied: DecodeFile() of a path that cannot be read.
//  - kDeadlineExceeded: decoding took longer than Options::timeout_seconds.
//  - kInternal: an FFmpeg failure that is not the input's fault.
// Every message names the problem, and FFmpeg's own text (av_strerror) when
// FFmpeg reported it.
#ifndef SOUNDSEARCH_AUDIO_DECODER_H_
#define SOUNDSEARCH_AUDIO_DECODER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// Options for AudioDecoder::Create; validated there (InvalidArgument).
struct AudioDecoderOptions {
  // Largest input accepted, in bytes (file size or upload size), in
  // [1, 4 GiB]. Larger input is ResourceExhausted before any decoding.
  int64_t max_input_bytes = int64_t{100} << 20;  // 100 MiB

  // Longest output kept, in seconds, > 0. Longer input is cut here and the
  // result has `truncated` set; decoding stops as soon as the limit is hit.
  double max_duration_seconds = 600.0;

  // Default output rate in Hz, in [8000, 48000]; each call may override it.
  int target_sample_rate = 22050;

  // Bytes FFmpeg may read to identify the container and its streams
  // (AVFormatContext::probesize), >= 32. Bounds the work garbage can cause.
  int64_t probe_bytes = int64_t{1} << 20;  // 1 MiB

  // Media time FFmpeg may decode to learn stream parameters
  // (max_analyze_duration), in seconds, > 0.
  double analyze_seconds = 5.0;

  // Wall-clock limit on one decoding call, in seconds; 0 means none.
  // Exceeding it is DeadlineExceeded.
  double timeout_seconds = 60.0;
};

// Per-call overrides of AudioDecoderOptions.
struct DecodeRequest {
  // Output rate in Hz for this call, in [8000, 48000]; 0 means
  // AudioDecoderOptions::target_sample_rate.
  int sample_rate = 0;
  // Longest output for this call, in seconds, >= 0; 0 means
  // AudioDecoderOptions::max_duration_seconds, which also caps it.
  double max_duration_seconds = 0;
  // Wall-clock limit for this call, in seconds, >= 0 (e.g. what is left of
  // an RPC's deadline); 0 means AudioDecoderOptions::timeout_seconds alone.
  // The smaller of the two applies.
  double timeout_seconds = 0;
};

// What a call decoded, and what it found on the way.
struct DecodedAudio {
  // Mono float32 PCM at sample_rate Hz; never empty, every value finite.
  std::vector<float> samples;
  int sample_rate = 0;  // Hz, the requested output rate

  // FFmpeg names of what was found: container (demuxer) e.g. "wav", "ogg",
  // "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"; codec e.g. "pcm_s16le",
  // "flac", "mp3", "aac", "vorbis", "opus".
  std::string container;
  std::string codec;
  int source_sample_rate = 0;  // Hz, of the first decoded frame
  int source_channels = 0;     // of the first decoded frame

  // samples.size() / sample_rate, in seconds.
  double duration_seconds = 0.0;
  // Duration the container declares, in seconds; < 0 when it declares none.
  double declared_duration_seconds = -1.0;

  // The input was longer than max_duration_seconds and was cut there.
  bool truncated = false;
  // Parts of the input could not be decoded and were skipped (see
  // error_count), non-finite samples were zeroed, or the stream ended well
  // before its declared duration.
  bool damaged = false;
  // Packets or frames the codec rejected, plus demuxer read errors.
  int64_t error_count = 0;
};

// Thread-safety: an AudioDecoder is immutable after Create(); Decode*() are
// const and safe to call from many threads at once on one decoder (each call
// owns all of its FFmpeg contexts).
class AudioDecoder {
 public:
  // Validates `options` (InvalidArgument naming the bad field) and silences
  // FFmpeg's own logging for the process (set the environment variable
  // SOUNDSEARCH_FFMPEG_LOG=1 before the first Create() to keep it on stderr).
  static absl::StatusOr<std::unique_ptr<AudioDecoder>> Create(
      const AudioDecoderOptions& options);

  // Decodes the file at `path` (read through our own I/O callbacks; no
  // FFmpeg protocol is involved). Error codes as in the file comment.
  absl::StatusOr<DecodedAudio> DecodeFile(
      const std::string& path, const DecodeRequest& request = {}) const;

  // Decodes an upload held in memory; `bytes` is borrowed for the duration
  // of the call only and never copied or written to disk.
  absl::StatusOr<DecodedAudio> DecodeBytes(
      absl::string_view bytes, const DecodeRequest& request = {}) const;

  const AudioDecoderOptions& options() const { return options_; }

 private:
  explicit AudioDecoder(const AudioDecoderOptions& options)
      : options_(options) {}
  // options_ with the request's limits applied.
  absl::StatusOr<AudioDecoderOptions> CallOptions(
      const DecodeRequest& request) const;

  AudioDecoderOptions options_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_AUDIO_DECODER_H_
