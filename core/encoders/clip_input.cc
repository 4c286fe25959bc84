#include "encoders/clip_input.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<absl::Span<const float>> PrepareClip(absl::Span<const float> pcm,
                                                    int frame_length,
                                                    std::vector<float>& storage,
                                                    ClipFlags& flags) {
  if (pcm.empty()) return absl::InvalidArgumentError("empty pcm");
  const float* x = pcm.data();  // unchecked, unlike Span's operator[]
  for (size_t i = 0; i < pcm.size(); ++i) {
    if (!std::isfinite(x[i])) {
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

absl::Status CheckRange(absl::string_view key, int64_t value, int64_t lo,
                        int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "encoder.", key, ": must be in [", lo, ", ", hi, "], got ", value));
}

absl::Status ValidateFrameOptions(const EncoderOptions& o) {
  RETURN_IF_ERROR(CheckRange("sample_rate", o.sample_rate, 8000, 192000));
  RETURN_IF_ERROR(CheckRange("n_fft", o.n_fft, 64, 65536));
  RETURN_IF_ERROR(CheckRange("hop_length", o.hop_length, 1, 65536));
  if (!(o.silence_db < 0.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encoder.silence_db: must be < 0 dBFS, got ", o.silence_db));
  }
  return absl::OkStatus();
}

}  // namespace soundsearch
