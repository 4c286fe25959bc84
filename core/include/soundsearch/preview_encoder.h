// Audio previews: a small compressed copy of each sound, made at ingest from
// the decoded mono PCM so that people can listen to results (the HTTP API
// serves it, server/http_api.h). MP3 (FFmpeg's libmp3lame), mono, constant
// bitrate, a raw MPEG audio stream (`audio/mpeg`) that browsers play and
// seek. Thread-safety: free function, safe from any thread.
#ifndef SOUNDSEARCH_PREVIEW_ENCODER_H_
#define SOUNDSEARCH_PREVIEW_ENCODER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

struct PreviewOptions {
  bool enabled = true;   // --previews=off turns it off
  int bitrate_kbps = 32;  // MP3 constant bitrate, in [8, 320]
};

inline constexpr char kPreviewContentType[] = "audio/mpeg";

// True for the sample rates MP3 can carry (8000 ... 48000 Hz).
bool PreviewSampleRateSupported(int sample_rate);

// MP3 bytes of `samples` (mono float PCM at `sample_rate`). InvalidArgument
// for an unsupported rate or bitrate or no samples; Internal when FFmpeg
// has no libmp3lame encoder or the encoding fails.
absl::StatusOr<std::string> EncodePreview(absl::Span<const float> samples,
                                          int sample_rate,
                                          const PreviewOptions& options);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_PREVIEW_ENCODER_H_
