// Input checks and padding shared by the dsp and mfcc encoders. Private to
// core.
#ifndef SOUNDSEARCH_CORE_ENCODERS_CLIP_INPUT_H_
#define SOUNDSEARCH_CORE_ENCODERS_CLIP_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// InvalidArgument "encoder.<key>: must be in [lo, hi], got v" when value is
// out of range.
absl::Status CheckRange(absl::string_view key, int64_t value, int64_t lo,
                        int64_t hi);

// Shared validation of the dsp/mfcc fields of EncoderOptions (sample_rate,
// n_fft, hop_length, silence_db), with CheckRange's messages.
absl::Status ValidateFrameOptions(const EncoderOptions& options);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_ENCODERS_CLIP_INPUT_H_
