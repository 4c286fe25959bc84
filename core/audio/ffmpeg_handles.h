// Owning smart pointers for FFmpeg objects: std::unique_ptr with the matching
// FFmpeg free function as deleter (STYLE rule 6). Each handle is owned by one
// decoding call; none is shared between threads.
#ifndef SOUNDSEARCH_AUDIO_FFMPEG_HANDLES_H_
#define SOUNDSEARCH_AUDIO_FFMPEG_HANDLES_H_

#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
}

namespace soundsearch {

// Closes an input opened with avformat_open_input. With a custom AVIOContext
// it leaves that context alone: free the IoContextPtr after this one.
struct FormatInputCloser {
  void operator()(AVFormatContext* context) const {
    avformat_close_input(&context);
  }
};
// Frees a custom AVIOContext and its (possibly reallocated) buffer.
struct IoContextFreer {
  void operator()(AVIOContext* context) const {
    if (context == nullptr) return;
    av_freep(&context->buffer);
    avio_context_free(&context);
  }
};
struct CodecContextFreer {
  void operator()(AVCodecContext* context) const {
    avcodec_free_context(&context);
  }
};
struct PacketFreer {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct FrameFreer {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct SwrFreer {
  void operator()(SwrContext* context) const { swr_free(&context); }
};

using FormatInputPtr = std::unique_ptr<AVFormatContext, FormatInputCloser>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextFreer>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using SwrPtr = std::unique_ptr<SwrContext, SwrFreer>;

}  // namespace soundsearch

#endif  // SOUNDSEARCH_AUDIO_FFMPEG_HANDLES_H_
