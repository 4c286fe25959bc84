#include "soundsearch/audio_decoder.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "audio/avio_input.h"
#include "audio/deadline.h"
#include "audio/ffmpeg_handles.h"
#include "audio/ffmpeg_status.h"
#include "soundsearch/error_reason.h"
#include "soundsearch/status_macros.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/samplefmt.h>
}

namespace soundsearch {
namespace {

constexpr int kMinOutputRate = 8000;
constexpr int kMaxOutputRate = 48000;
// Source rates outside this range are refused: a huge downsampling ratio
// would make libswresample build an enormous filter.
constexpr int kMaxSourceRate = 384000;
// Below it, a tiny file would decode to hours of upsampled audio.
constexpr int kMinSourceRate = 1000;
// libswresample's SWR_CH_MAX.
constexpr int kMaxChannels = 64;
// A stream that ends before this fraction of its declared duration (less a
// little slack for codec delay) is reported as damaged.
constexpr double kEarlyEndFraction = 0.9;
constexpr double kEarlyEndSlackSeconds = 0.1;

// Bound on the output reserved up front per input byte (6 kbit/s Opus at
// 48 kHz is 64 samples per byte).
constexpr double kMaxSamplesPerInputByte = 128;

constexpr absl::StatusCode kBadInput = absl::StatusCode::kInvalidArgument;

// The largest single allocation FFmpeg may make (av_max_alloc, process-wide;
// its default is INT_MAX). Demuxers size some buffers from header fields: a
// WAV of 81 bytes whose LIST/INFO entry claims 1.9 GB made the WAV demuxer
// zero 1.9 GB in avformat_open_input (decode_fuzzer). Audio needs far less:
// FFmpeg's own buffers here are 64 KiB I/O blocks, packets and frames.
constexpr size_t kMaxFfmpegAllocBytes = size_t{64} << 20;

// Bytes avformat_find_stream_info may read when the container's header has
// already declared every audio stream's codec, rate and channels. FFmpeg
// still probes such payloads for mislabelled data (the WAV demuxer asks
// whether its PCM is really MP3 or S/PDIF), re-reading them in doubling steps
// up to the probe size: for a 10 s WAV that was the whole file several times,
// 85% of its decoding time. A few dozen compressed frames settle that.
constexpr int64_t kDeclaredStreamProbeBytes = int64_t{32} << 10;

// Whether the header gave every audio stream a codec, a sample rate and a
// channel count, so that stream-info probing only confirms them.
bool HeaderDeclaresAudio(const AVFormatContext& format) {
  bool any_audio = false;
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    const AVCodecParameters& par = *format.streams[i]->codecpar;
    if (par.codec_type != AVMEDIA_TYPE_AUDIO) continue;
    if (par.codec_id == AV_CODEC_ID_NONE || par.sample_rate <= 0 ||
        par.ch_layout.nb_channels <= 0) {
      return false;
    }
    any_audio = true;
  }
  return any_audio;
}

void ConfigureFfmpegLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("SOUNDSEARCH_FFMPEG_LOG");
    const bool keep = env != nullptr && *env != '\0' && std::strcmp(env, "0");
    av_log_set_level(keep ? AV_LOG_WARNING : AV_LOG_QUIET);
    av_max_alloc(kMaxFfmpegAllocBytes);
  });
}

absl::Status ValidateOutputRate(int rate, absl::string_view field) {
  if (rate < kMinOutputRate || rate > kMaxOutputRate) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be in [", kMinOutputRate, ", ",
                     kMaxOutputRate, "] Hz, got ", rate));
  }
  return absl::OkStatus();
}

int InterruptCallback(void* opaque) {
  return static_cast<const Deadline*>(opaque)->Expired() ? 1 : 0;
}

// Refuses every nested open (HLS/DASH playlists, concat lists, image
// sequences, external references): only the bytes we were given are read.
int RefuseNestedIo(AVFormatContext* /*s*/, AVIOContext** /*pb*/,
                   const char* /*url*/, int /*flags*/,
                   AVDictionary** /*options*/) {
  return AVERROR(EPERM);
}

// Names of the streams in `format`, e.g. "video (png)", for messages.
std::string DescribeStreams(const AVFormatContext& format) {
  std::vector<std::string> parts;
  for (unsigned i = 0; i < format.nb_streams; ++i) {
    const AVCodecParameters* par = format.streams[i]->codecpar;
    const char* type = av_get_media_type_string(par->codec_type);
    parts.push_back(absl::StrCat(type != nullptr ? type : "unknown", " (",
                                 avcodec_get_name(par->codec_id), ")"));
  }
  if (parts.empty()) return "no streams";
  return absl::StrCat("streams: ", absl::StrJoin(parts, ", "));
}

// The state of one decoding call. Owns every FFmpeg context it uses.
class DecodeCall {
 public:
  DecodeCall(const AudioDecoderOptions& options, int output_rate,
             int64_t input_bytes, const Deadline* deadline)
      : options_(options),
        output_rate_(output_rate),
        input_bytes_(input_bytes),
        deadline_(deadline) {
    max_samples_ = static_cast<size_t>(
        std::max(1.0, std::floor(options.max_duration_seconds * output_rate)));
  }

  // `name` is the file name when there is one (FFmpeg uses its extension as
  // a hint when probing), else empty.
  absl::StatusOr<DecodedAudio> Run(AVIOContext* io, const std::string& name);

 private:
  absl::Status Open(AVIOContext* io, const std::string& name);
  absl::Status DecodeAll();
  // Sends one packet (nullptr flushes) and consumes the frames it yields.
  absl::Status SendPacket(const AVPacket* packet);
  absl::Status ReceiveFrames();
  absl::Status ConsumeFrame(const AVFrame& frame);
  absl::Status ConfigureResampler(const AVFrame& frame);
  // Appends up to `max_out` resampled samples converted from `frame` (or the
  // resampler's buffered tail when `frame` is nullptr); returns how many.
  absl::StatusOr<int> Convert(const AVFrame* frame, int max_out);
  absl::Status DrainResampler();
  void NoteError(int errnum) {
    ++result_.error_count;
    last_error_ = errnum;
  }
  bool full() const { return result_.truncated; }

  const AudioDecoderOptions& options_;
  const int output_rate_;
  const int64_t input_bytes_;
  const Deadline* deadline_;
  size_t max_samples_ = 0;

  FormatInputPtr format_;
  CodecContextPtr codec_;
  AVStream* stream_ = nullptr;  // borrowed from format_
  SwrPtr swr_;
  int swr_format_ = -1;
  int swr_rate_ = 0;
  int swr_channels_ = 0;

  int64_t packets_ = 0;
  int64_t frames_ = 0;
  int last_error_ = 0;
  bool saw_corrupt_ = false;
  DecodedAudio result_;
};

absl::Status DecodeCall::Open(AVIOContext* io, const std::string& name) {
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a format context");
  }
  raw->pb = io;
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->probesize = options_.probe_bytes;
  raw->format_probesize = static_cast<int>(
      std::min<int64_t>(options_.probe_bytes, std::numeric_limits<int>::max()));
  raw->max_analyze_duration =
      static_cast<int64_t>(options_.analyze_seconds * AV_TIME_BASE);
  raw->interrupt_callback.callback = &InterruptCallback;
  raw->interrupt_callback.opaque =
      const_cast<void*>(static_cast<const void*>(deadline_));
  raw->io_open = &RefuseNestedIo;
  // On failure avformat_open_input frees `raw` (but not our `io`).
  int ret = avformat_open_input(&raw, name.c_str(), nullptr, nullptr);
  if (ret < 0) {
    return FfmpegError(kBadInput, ret,
                       "cannot open the input: unrecognised format, or a "
                       "truncated or corrupted file");
  }
  format_.reset(raw);

  if (HeaderDeclaresAudio(*format_)) {
    format_->probesize =
        std::min(format_->probesize, kDeclaredStreamProbeBytes);
  }
  ret = avformat_find_stream_info(format_.get(), nullptr);
  if (ret < 0) {
    return FfmpegError(
        kBadInput, ret,
        absl::StrCat("cannot read the stream parameters of this ",
                     format_->iformat->name,
                     " input (truncated or corrupted)"));
  }
  result_.container = format_->iformat->name;

  const AVCodec* codec = nullptr;
  ret =
      av_find_best_stream(format_.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (ret == AVERROR_STREAM_NOT_FOUND) {
    return absl::InvalidArgumentError(
        absl::StrCat("no audio stream in this ", result_.container, " input (",
                     DescribeStreams(*format_), ")"));
  }
  if (ret == AVERROR_DECODER_NOT_FOUND) {
    int first_audio = -1;
    for (unsigned i = 0; i < format_->nb_streams && first_audio < 0; ++i) {
      if (format_->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
        first_audio = static_cast<int>(i);
      }
    }
    const char* codec_name =
        first_audio < 0
            ? "unknown"
            : avcodec_get_name(
                  format_->streams[first_audio]->codecpar->codec_id);
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported audio codec '", codec_name, "' in this ",
                     result_.container, " input"));
  }
  if (ret < 0)
    return FfmpegError(kBadInput, ret, "cannot select an audio stream");
  stream_ = format_->streams[ret];
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (format_->streams[i] != stream_) {
      format_->streams[i]->discard = AVDISCARD_ALL;
    }
  }
  result_.codec = avcodec_get_name(stream_->codecpar->codec_id);

  if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0 &&
      stream_->time_base.den > 0) {
    result_.declared_duration_seconds =
        stream_->duration * av_q2d(stream_->time_base);
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    result_.declared_duration_seconds =
        static_cast<double>(format_->duration) / AV_TIME_BASE;
  }

  codec_.reset(avcodec_alloc_context3(codec));
  if (codec_ == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a codec context");
  }
  ret = avcodec_parameters_to_context(codec_.get(), stream_->codecpar);
  if (ret < 0) {
    return FfmpegError(
        kBadInput, ret,
        absl::StrCat("bad parameters for codec ", result_.codec));
  }
  codec_->pkt_timebase = stream_->time_base;
  codec_->thread_count = 1;  // callers parallelise across calls
  ret = avcodec_open2(codec_.get(), codec, nullptr);
  if (ret < 0) {
    return FfmpegError(kBadInput, ret,
                       absl::StrCat("cannot open the ", result_.codec,
                                    " decoder for this input"));
  }
  return absl::OkStatus();
}

absl::Status DecodeCall::ConfigureResampler(const AVFrame& frame) {
  const int channels = frame.ch_layout.nb_channels;
  if (channels <= 0 || channels > kMaxChannels) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported channel count ",
                                                   channels, " (at most ",
                                                   kMaxChannels, ")"));
  }
  if (frame.sample_rate < kMinSourceRate ||
      frame.sample_rate > kMaxSourceRate) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported source sample rate ", frame.sample_rate, " Hz (from ",
        kMinSourceRate, " to ", kMaxSourceRate, ")"));
  }
  AVChannelLayout in_layout;
  if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC ||
      av_channel_layout_check(&frame.ch_layout) == 0) {
    av_channel_layout_default(&in_layout, channels);
  } else {
    const int ret = av_channel_layout_copy(&in_layout, &frame.ch_layout);
    if (ret < 0) {
      return FfmpegError(absl::StatusCode::kInternal, ret,
                         "cannot copy the channel layout");
    }
  }
  AVChannelLayout out_layout = AV_CHANNEL_LAYOUT_MONO;
  SwrContext* raw = nullptr;
  int ret = swr_alloc_set_opts2(
      &raw, &out_layout, AV_SAMPLE_FMT_FLT, output_rate_, &in_layout,
      static_cast<AVSampleFormat>(frame.format), frame.sample_rate,
      /*log_offset=*/0, /*log_ctx=*/nullptr);
  av_channel_layout_uninit(&in_layout);
  swr_.reset(raw);
  if (ret < 0) {
    return FfmpegError(kBadInput, ret,
                       "cannot set up resampling for this audio format");
  }
  // Downmix = plain mean of the channels (libswresample's default mixes at
  // -3 dB per channel and does not normalise float output).
  const std::vector<double> matrix(channels, 1.0 / channels);
  ret = swr_set_matrix(swr_.get(), matrix.data(), channels);
  if (ret < 0) {
    return FfmpegError(absl::StatusCode::kInternal, ret,
                       "cannot set the downmix matrix");
  }
  ret = swr_init(swr_.get());
  if (ret < 0) {
    return FfmpegError(kBadInput, ret,
                       absl::StrCat("cannot resample ", channels,
                                    " channels at ", frame.sample_rate, " Hz"));
  }
  swr_format_ = frame.format;
  swr_rate_ = frame.sample_rate;
  swr_channels_ = channels;
  return absl::OkStatus();
}

absl::StatusOr<int> DecodeCall::Convert(const AVFrame* frame, int max_out) {
  std::vector<float>& out = result_.samples;
  const size_t old_size = out.size();
  out.resize(old_size + max_out);
  auto* dst = reinterpret_cast<uint8_t*>(out.data() + old_size);
  const int n = swr_convert(
      swr_.get(), &dst, max_out,
      frame == nullptr ? nullptr
                       : const_cast<const uint8_t**>(frame->extended_data),
      frame == nullptr ? 0 : frame->nb_samples);
  if (n < 0) {
    out.resize(old_size);
    return FfmpegError(kBadInput, n, "resampling failed");
  }
  out.resize(old_size + n);
  if (out.size() > max_samples_) {
    out.resize(max_samples_);
    result_.truncated = true;
  }
  return n;
}

absl::Status DecodeCall::DrainResampler() {
  if (swr_ == nullptr) return absl::OkStatus();
  while (!full()) {
    const int max_out = swr_get_out_samples(swr_.get(), 0) + 64;
    ASSIGN_OR_RETURN(const int n, Convert(nullptr, max_out));
    if (n == 0) break;
  }
  return absl::OkStatus();
}

absl::Status DecodeCall::ConsumeFrame(const AVFrame& frame) {
  if (frame.nb_samples <= 0) return absl::OkStatus();
  if (frames_ == 0) {
    result_.source_sample_rate = frame.sample_rate;
    result_.source_channels = frame.ch_layout.nb_channels;
  }
  ++frames_;
  if (frame.decode_error_flags != 0 || (frame.flags & AV_FRAME_FLAG_CORRUPT)) {
    saw_corrupt_ = true;
  }
  // Parameters can change mid-stream (chained Ogg, HE-AAC, concatenated
  // MP3): flush the old resampler and start a new one.
  if (swr_ == nullptr || frame.format != swr_format_ ||
      frame.sample_rate != swr_rate_ ||
      frame.ch_layout.nb_channels != swr_channels_) {
    RETURN_IF_ERROR(DrainResampler());
    if (full()) return absl::OkStatus();
    RETURN_IF_ERROR(ConfigureResampler(frame));
  }
  const int max_out = swr_get_out_samples(swr_.get(), frame.nb_samples);
  if (max_out < 0) {
    return FfmpegError(kBadInput, max_out, "resampling failed");
  }
  ASSIGN_OR_RETURN(const int n, Convert(&frame, max_out));
  (void)n;
  return absl::OkStatus();
}

absl::Status DecodeCall::ReceiveFrames() {
  FramePtr frame(av_frame_alloc());
  if (frame == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a frame");
  }
  while (!full()) {
    const int ret = avcodec_receive_frame(codec_.get(), frame.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
    if (ret == AVERROR(ENOMEM)) {
      return FfmpegError(absl::StatusCode::kResourceExhausted, ret, "decoding");
    }
    if (ret < 0) {  // skip what the codec rejects; judged at the end
      NoteError(ret);
      break;
    }
    const absl::Status status = ConsumeFrame(*frame);
    av_frame_unref(frame.get());
    RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

absl::Status DecodeCall::SendPacket(const AVPacket* packet) {
  int ret = avcodec_send_packet(codec_.get(), packet);
  if (ret == AVERROR(EAGAIN)) {  // output pending: drain it, then resend
    RETURN_IF_ERROR(ReceiveFrames());
    if (full()) return absl::OkStatus();
    ret = avcodec_send_packet(codec_.get(), packet);
  }
  if (ret == AVERROR(ENOMEM)) {
    return FfmpegError(absl::StatusCode::kResourceExhausted, ret, "decoding");
  }
  if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR(EAGAIN)) NoteError(ret);
  return ReceiveFrames();
}

absl::Status DecodeCall::DecodeAll() {
  PacketPtr packet(av_packet_alloc());
  if (packet == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a packet");
  }
  if (result_.declared_duration_seconds > 0) {
    // Reserve what the header announces, but never more than the output
    // limit or kMaxSamplesPerInputByte per input byte: a tiny file may lie.
    const double announced =
        result_.declared_duration_seconds * output_rate_ + output_rate_ / 4;
    result_.samples.reserve(static_cast<size_t>(std::min<double>(
        {announced, static_cast<double>(max_samples_) + 1,
         static_cast<double>(input_bytes_) * kMaxSamplesPerInputByte})));
  }
  while (!full()) {
    if (deadline_->Expired()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "decoding took longer than ", options_.timeout_seconds, " s"));
    }
    const int ret = av_read_frame(format_.get(), packet.get());
    if (ret == AVERROR_EOF) break;
    if (ret == AVERROR_EXIT) {
      return FfmpegError(kBadInput, ret, "reading the input");
    }
    if (ret == AVERROR(ENOMEM)) {
      return FfmpegError(absl::StatusCode::kResourceExhausted, ret,
                         "reading the input");
    }
    if (ret < 0) {  // a damaged container: keep what was decoded so far
      NoteError(ret);
      break;
    }
    if (packet->stream_index != stream_->index) {
      av_packet_unref(packet.get());
      continue;
    }
    ++packets_;
    if (packet->flags & AV_PKT_FLAG_CORRUPT) saw_corrupt_ = true;
    const absl::Status status = SendPacket(packet.get());
    av_packet_unref(packet.get());
    RETURN_IF_ERROR(status);
  }
  if (deadline_->Expired()) {
    return absl::DeadlineExceededError(absl::StrCat(
        "decoding took longer than ", options_.timeout_seconds, " s"));
  }
  if (!full()) RETURN_IF_ERROR(SendPacket(nullptr));  // flush the decoder
  if (!full()) RETURN_IF_ERROR(DrainResampler());
  return absl::OkStatus();
}

absl::StatusOr<DecodedAudio> DecodeCall::Run(AVIOContext* io,
                                             const std::string& name) {
  absl::Status status = Open(io, name);
  if (status.ok()) status = DecodeAll();
  if (!status.ok() && deadline_->Expired()) {
    // Whatever FFmpeg made of the interrupted read, the cause is the clock.
    return absl::DeadlineExceededError(
        absl::StrCat("decoding took longer than ", options_.timeout_seconds,
                     " s (", status.message(), ")"));
  }
  RETURN_IF_ERROR(status);

  const std::string where =
      absl::StrCat(result_.codec, " in ", result_.container);
  if (result_.samples.empty()) {
    if (result_.error_count > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("no audio could be decoded from this ", where,
                       " input (corrupted or "
                       "truncated): ",
                       result_.error_count,
                       " errors, the last: ", AvErrorText(last_error_)));
    }
    if (result_.declared_duration_seconds > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "zero audio samples decoded from this ", where,
          " input, which "
          "declares ",
          result_.declared_duration_seconds, " s: truncated or corrupted"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "zero audio samples decoded: the ", where, " stream is empty"));
  }
  if (result_.error_count * 2 > std::max<int64_t>(packets_, frames_)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mostly undecodable (corrupted) ", where,
                     " input: ", result_.error_count, " errors in ", packets_,
                     " packets, the last: ", AvErrorText(last_error_)));
  }

  int64_t non_finite = 0;
  for (float& sample : result_.samples) {
    if (!std::isfinite(sample)) {
      sample = 0.0f;
      ++non_finite;
    }
  }
  result_.sample_rate = output_rate_;
  result_.duration_seconds =
      static_cast<double>(result_.samples.size()) / output_rate_;
  const bool ended_early =
      !result_.truncated && result_.declared_duration_seconds > 0 &&
      format_->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE &&
      result_.duration_seconds <
          kEarlyEndFraction * result_.declared_duration_seconds -
              kEarlyEndSlackSeconds;
  result_.damaged =
      result_.error_count > 0 || saw_corrupt_ || non_finite > 0 || ended_early;
  if (result_.samples.capacity() >
      result_.samples.size() + result_.samples.size() / 4 + output_rate_) {
    result_.samples.shrink_to_fit();
  }
  return std::move(result_);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AudioDecoder>> AudioDecoder::Create(
    const AudioDecoderOptions& options) {
  if (options.max_input_bytes < 1 ||
      options.max_input_bytes > (int64_t{4} << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_input_bytes must be in [1, 4 GiB], got ",
                     options.max_input_bytes));
  }
  if (!(options.max_duration_seconds > 0) ||
      !std::isfinite(options.max_duration_seconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_duration_seconds must be > 0, got ",
                     options.max_duration_seconds));
  }
  RETURN_IF_ERROR(
      ValidateOutputRate(options.target_sample_rate, "target_sample_rate"));
  if (options.probe_bytes < 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("probe_bytes must be >= 32, got ", options.probe_bytes));
  }
  if (!(options.analyze_seconds > 0) || options.analyze_seconds > 3600) {
    return absl::InvalidArgumentError(absl::StrCat(
        "analyze_seconds must be in (0, 3600], got ", options.analyze_seconds));
  }
  if (!(options.timeout_seconds >= 0) ||
      !std::isfinite(options.timeout_seconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("timeout_seconds must be >= 0 (0: none), got ",
                     options.timeout_seconds));
  }
  ConfigureFfmpegLogging();
  return std::unique_ptr<AudioDecoder>(new AudioDecoder(options));
}

absl::StatusOr<AudioDecoderOptions> AudioDecoder::CallOptions(
    const DecodeRequest& request) const {
  AudioDecoderOptions call = options_;
  if (!(request.max_duration_seconds >= 0) || !(request.timeout_seconds >= 0)) {
    return absl::InvalidArgumentError(
        "decode request: max_duration_seconds and timeout_seconds must be "
        ">= 0");
  }
  if (request.max_duration_seconds > 0) {
    call.max_duration_seconds =
        std::min(call.max_duration_seconds, request.max_duration_seconds);
  }
  if (request.timeout_seconds > 0) {
    call.timeout_seconds =
        call.timeout_seconds > 0
            ? std::min(call.timeout_seconds, request.timeout_seconds)
            : request.timeout_seconds;
  }
  return call;
}

absl::StatusOr<DecodedAudio> AudioDecoder::DecodeFile(
    const std::string& path, const DecodeRequest& request) const {
  const int rate = request.sample_rate == 0 ? options_.target_sample_rate
                                            : request.sample_rate;
  RETURN_IF_ERROR(ValidateOutputRate(rate, "sample_rate"));
  ASSIGN_OR_RETURN(const AudioDecoderOptions options, CallOptions(request));
  const Deadline deadline(options.timeout_seconds);
  ASSIGN_OR_RETURN(
      std::unique_ptr<AvioInput> input,
      AvioInput::FromFile(path, options.max_input_bytes, &deadline));
  DecodeCall call(options, rate, input->size(), &deadline);
  return call.Run(input->context(), path);
}

absl::StatusOr<DecodedAudio> AudioDecoder::DecodeBytes(
    absl::string_view bytes, const DecodeRequest& request) const {
  const int rate = request.sample_rate == 0 ? options_.target_sample_rate
                                            : request.sample_rate;
  RETURN_IF_ERROR(ValidateOutputRate(rate, "sample_rate"));
  if (bytes.empty()) {
    return absl::InvalidArgumentError("empty input: the upload has 0 bytes");
  }
  if (static_cast<int64_t>(bytes.size()) > options_.max_input_bytes) {
    return UploadTooLargeError(
        absl::StrCat("input too large: the upload has ", bytes.size(),
                     " bytes, the limit is ", options_.max_input_bytes));
  }
  ASSIGN_OR_RETURN(const AudioDecoderOptions options, CallOptions(request));
  const Deadline deadline(options.timeout_seconds);
  ASSIGN_OR_RETURN(std::unique_ptr<AvioInput> input,
                   AvioInput::FromBytes(bytes, &deadline));
  DecodeCall call(options, rate, input->size(), &deadline);
  return call.Run(input->context(), "");
}

}  // namespace soundsearch
