#include "audio/ffmpeg_status.h"

#include "absl/strings/str_cat.h"

extern "C" {
#include <libavutil/error.h>
}

namespace soundsearch {

std::string AvErrorText(int errnum) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(errnum, buffer, sizeof(buffer)) < 0) {
    return absl::StrCat("FFmpeg error ", errnum);
  }
  return buffer;
}

absl::Status FfmpegError(absl::StatusCode code, int errnum,
                         absl::string_view what) {
  if (errnum == AVERROR_EXIT) code = absl::StatusCode::kDeadlineExceeded;
  return absl::Status(code, absl::StrCat(what, ": ", AvErrorText(errnum)));
}

}  // namespace soundsearch
