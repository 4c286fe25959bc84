// A waveform picture of a sound for the page (server/http_api.h serves it at
// /api/sounds/ID/waveform.png): per pixel column the min and max of the
// samples falling in it, drawn as a filled band, as a PNG (libpng).
// Thread-safety: free function, safe from any thread.
#ifndef SOUNDSEARCH_WAVEFORM_IMAGE_H_
#define SOUNDSEARCH_WAVEFORM_IMAGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

struct WaveformImageOptions {
  int width = 480;  // pixels, [16, 4096]
  int height = 64;  // pixels, [8, 1024]
};

// PNG bytes (8-bit RGB) of the waveform of `samples` (mono, any rate).
// InvalidArgument for no samples or a size out of range; Internal when
// libpng fails.
absl::StatusOr<std::string> RenderWaveformPng(
    absl::Span<const float> samples, const WaveformImageOptions& options = {});

}  // namespace soundsearch

#endif  // SOUNDSEARCH_WAVEFORM_IMAGE_H_
