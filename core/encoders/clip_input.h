// Input checks and padding shared by the dsp and mfcc encoders. Private to
// core.
#ifndef SOUNDSEARCH_CORE_ENCODERS_CLIP_INPUT_H_
#define SOUNDSEARCH_CORE_ENCODERS_CLIP_INPUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/encoder.h"

namespace soundsearch {

// Checks that pcm is non-empty and all finite (InvalidArgument otherwise).
// A clip shorter than frame_length is zero-padded at the end to frame_length
// in `storage` and flags.too_short is set. Returns the samples to analyse:
// pcm itself, or storage. Thread-safe (pure function).
absl::StatusOr<absl::Span<const float>> PrepareClip(absl::Span<const float> pcm,
                                                    int frame_length,
                                                    std::vector<float>& storage,
                                                    ClipFlags& flags);

// Linear RMS below which a frame is silent: 10^(silence_db / 20).
float SilenceRmsThreshold(float silence_db);

// Shared validation of the dsp/mfcc fields of EncoderOptions (sample_rate,
// n_fft, hop_length, silence_db); `kind` names the encoder in messages.
absl::Status ValidateFrameOptions(const EncoderOptions& options,
                                  const std::string& kind);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_ENCODERS_CLIP_INPUT_H_
