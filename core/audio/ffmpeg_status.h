// Conversion of FFmpeg's negative return codes into absl::Status. This is the
// one place where an FFmpeg error becomes a Status (STYLE rule 5).
#ifndef SOUNDSEARCH_AUDIO_FFMPEG_STATUS_H_
#define SOUNDSEARCH_AUDIO_FFMPEG_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// FFmpeg's text for a negative return code (av_strerror), e.g.
// "Invalid data found when processing input". Thread-safe.
std::string AvErrorText(int errnum);

// Status for the negative FFmpeg return `errnum` met while doing `what`:
// "<what>: <av_strerror text>", with code `code`, except that AVERROR_EXIT
// (our interrupt callback fired) is always DeadlineExceeded. AVERROR(ENOMEM)
// is left to the caller: demuxers also return it for malformed input.
// Thread-safe.
absl::Status FfmpegError(absl::StatusCode code, int errnum,
                         absl::string_view what);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_AUDIO_FFMPEG_STATUS_H_
