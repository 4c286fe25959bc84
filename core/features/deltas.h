// Deltas: first-order regression over time of frame descriptors (the HTK /
// librosa.feature.delta(mode="nearest") definition). Private to core.
//   d_t = sum_{n=1}^{N} n (c_{t+n} - c_{t-n}) / (2 sum_{n=1}^{N} n^2)
// with frames outside [0, T) replaced by the nearest edge frame, so a
// one-frame input has zero deltas. Units: descriptor units per frame hop.
#ifndef SOUNDSEARCH_CORE_FEATURES_DELTAS_H_
#define SOUNDSEARCH_CORE_FEATURES_DELTAS_H_

#include "soundsearch/frame_matrix.h"

namespace soundsearch {

// Regression half-width N used by the encoders (a 5-frame window).
inline constexpr int kDeltaWidth = 2;

// Writes the deltas of columns [0, in.dim) of `in` into columns
// [out_offset, out_offset + in.dim) of `out`, which must have as many frames
// as `in` and out.dim >= out_offset + in.dim. width >= 1.
void WriteDeltas(const FrameMatrix& in, int width, FrameMatrix& out,
                 int out_offset);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_DELTAS_H_
