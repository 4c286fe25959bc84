// Time-domain frame descriptors, on the raw (unwindowed) frame samples.
// Private to core.
//   zero-crossing rate (crossings per sample, [0, 1]): the fraction of the
//       L - 1 adjacent sample pairs whose signs differ, a sample counting as
//       positive when >= 0 (librosa.feature.zero_crossing_rate's rule), so
//       digital silence and DC read 0; a sine of f Hz reads ~2 f / sample_rate.
//   RMS (full scale, [0, 1] for pcm in [-1, 1]): sqrt(mean x[n]^2); a sine of
//       amplitude A reads A / sqrt(2).
#ifndef SOUNDSEARCH_CORE_FEATURES_TEMPORAL_DESCRIPTORS_H_
#define SOUNDSEARCH_CORE_FEATURES_TEMPORAL_DESCRIPTORS_H_

#include "absl/types/span.h"

namespace soundsearch {

// frame: L >= 1 samples; 0 when L == 1. Thread-safe (pure function).
float ZeroCrossingRate(absl::Span<const float> frame);
// frame: L >= 1 samples. Thread-safe (pure function).
float Rms(absl::Span<const float> frame);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_TEMPORAL_DESCRIPTORS_H_
