#include "encoders/clip_input.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::StatusOr<absl::Span<const float>> PrepareClip(absl::Span<const float> pcm,
                                                    int frame_length,
                                                    std::vector<float>& storage,
                                                    ClipFlags& flags) {
  if (pcm.empty()) return absl::InvalidArgumentError("empty pcm");
  for (size_t i = 0; i < pcm.size(); ++i) {
    if (!std::isfinite(pcm[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("pcm sample ", i, " is not finite"));
    }
  }
  if (static_cast<int64_t>(pcm.size()) >= frame_length) return pcm;
  flags.too_short = true;
  storage.assign(pcm.begin(), pcm.end());
  storage.resize(frame_length, 0.0f);
  return absl::MakeConstSpan(storage);
}

float SilenceRmsThreshold(float silence_db) {
  return static_cast<float>(std::pow(10.0, silence_db / 20.0));
}

absl::Status ValidateFrameOptions(const EncoderOptions& o,
                                  const std::string& kind) {
  if (o.sample_rate < 8000 || o.sample_rate > 192000) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " encoder: sample_rate must be in [8000, 192000] Hz, got ",
        o.sample_rate));
  }
  if (o.n_fft < 64 || o.n_fft > 65536) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " encoder: n_fft must be in [64, 65536], got ", o.n_fft));
  }
  if (o.hop_length < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " encoder: hop_length must be >= 1, got ", o.hop_length));
  }
  if (!(o.silence_db < 0.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        kind, " encoder: silence_db must be < 0 dBFS, got ", o.silence_db));
  }
  return absl::OkStatus();
}

}  // namespace soundsearch
