#include "soundsearch/preview_encoder.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "audio/ffmpeg_handles.h"
#include "audio/ffmpeg_status.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

namespace soundsearch {

bool PreviewSampleRateSupported(int sample_rate) {
  for (int rate : {8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100,
                   48000}) {
    if (rate == sample_rate) return true;
  }
  return false;
}

namespace {

// Sends `frame` (null: flush) and appends every packet to `out`.
absl::Status Drain(AVCodecContext* codec, const AVFrame* frame,
                   AVPacket* packet, std::string* out) {
  int rc = avcodec_send_frame(codec, frame);
  if (rc < 0) {
    return FfmpegError(absl::StatusCode::kInternal, rc, "preview: send frame");
  }
  while (true) {
    rc = avcodec_receive_packet(codec, packet);
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return absl::OkStatus();
    if (rc < 0) {
      return FfmpegError(absl::StatusCode::kInternal, rc,
                         "preview: receive packet");
    }
    out->append(reinterpret_cast<const char*>(packet->data), packet->size);
    av_packet_unref(packet);
  }
}

}  // namespace

absl::StatusOr<std::string> EncodePreview(absl::Span<const float> samples,
                                          int sample_rate,
                                          const PreviewOptions& options) {
  if (!PreviewSampleRateSupported(sample_rate)) {
    return absl::InvalidArgumentError(
        absl::StrCat("preview: MP3 cannot carry ", sample_rate, " Hz"));
  }
  if (options.bitrate_kbps < 8 || options.bitrate_kbps > 320) {
    return absl::InvalidArgumentError(absl::StrCat(
        "preview bitrate must be in [8, 320] kbit/s, got ",
        options.bitrate_kbps));
  }
  if (samples.empty()) {
    return absl::InvalidArgumentError("preview: no samples");
  }
  const AVCodec* encoder = avcodec_find_encoder_by_name("libmp3lame");
  if (encoder == nullptr) {
    return absl::InternalError("preview: FFmpeg has no libmp3lame encoder");
  }
  CodecContextPtr codec(avcodec_alloc_context3(encoder));
  if (codec == nullptr) return absl::InternalError("preview: out of memory");
  codec->bit_rate = int64_t{options.bitrate_kbps} * 1000;
  codec->sample_rate = sample_rate;
  codec->sample_fmt = AV_SAMPLE_FMT_FLTP;
  // LAME's -q 7 (0 best and slowest, 9 fastest): a listening preview does
  // not need the slow psychoacoustics.
  codec->compression_level = 7;
  av_channel_layout_default(&codec->ch_layout, 1);
  int rc = avcodec_open2(codec.get(), encoder, nullptr);
  if (rc < 0) {
    return FfmpegError(absl::StatusCode::kInternal, rc, "preview: open MP3");
  }
  FramePtr frame(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  if (frame == nullptr || packet == nullptr) {
    return absl::InternalError("preview: out of memory");
  }
  const int frame_size = codec->frame_size > 0 ? codec->frame_size : 1152;
  frame->nb_samples = frame_size;
  frame->format = codec->sample_fmt;
  frame->sample_rate = sample_rate;
  av_channel_layout_copy(&frame->ch_layout, &codec->ch_layout);
  rc = av_frame_get_buffer(frame.get(), 0);
  if (rc < 0) {
    return FfmpegError(absl::StatusCode::kInternal, rc, "preview: frame");
  }
  std::string out;
  out.reserve(samples.size() * options.bitrate_kbps * 125 / sample_rate + 4096);
  int64_t pts = 0;
  for (size_t at = 0; at < samples.size(); at += frame_size) {
    rc = av_frame_make_writable(frame.get());
    if (rc < 0) {
      return FfmpegError(absl::StatusCode::kInternal, rc, "preview: frame");
    }
    const size_t n = std::min<size_t>(frame_size, samples.size() - at);
    float* data = reinterpret_cast<float*>(frame->data[0]);
    std::memcpy(data, samples.data() + at, n * sizeof(float));
    std::fill(data + n, data + frame_size, 0.0f);  // the last, short frame
    frame->nb_samples = frame_size;
    frame->pts = pts;
    pts += frame_size;
    absl::Status sent = Drain(codec.get(), frame.get(), packet.get(), &out);
    if (!sent.ok()) return sent;
  }
  absl::Status flushed = Drain(codec.get(), nullptr, packet.get(), &out);
  if (!flushed.ok()) return flushed;
  return out;
}

}  // namespace soundsearch
