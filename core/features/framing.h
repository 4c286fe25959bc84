// Framing of a PCM signal for short-time analysis, shared by the STFT-based
// features so that every descriptor sees the same frames. Private to core.
#ifndef SOUNDSEARCH_CORE_FEATURES_FRAMING_H_
#define SOUNDSEARCH_CORE_FEATURES_FRAMING_H_

#include <vector>

#include "absl/types/span.h"

namespace soundsearch {

// Returns the signal that frames are cut from, frame t being
// padded[t * hop_length, t * hop_length + frame_length).
//   center == true:  reflect-pad frame_length / 2 samples on each side, as
//                    torch.stft(center=True, pad_mode="reflect") and
//                    numpy.pad(mode="reflect") do (repeated reflection when
//                    the pad is longer than the signal; a 1-sample signal is
//                    repeated).
//   center == false: no padding, except that a signal shorter than
//                    frame_length is zero-padded at the end to frame_length.
// pcm must be non-empty; frame_length >= 1.
std::vector<float> PadForFraming(absl::Span<const float> pcm, int frame_length,
                                 bool center);

// Number of whole frames of frame_length with hop hop_length in a padded
// signal of padded_length samples (padded_length >= frame_length): 1 +
// (padded_length - frame_length) / hop_length.
int NumFrames(int padded_length, int frame_length, int hop_length);

// Periodic Hann window of win_length samples, w[n] = 0.5 - 0.5 cos(2 pi n /
// win_length) (torch.hann_window default, scipy "hann" with sym=False),
// zero-padded on both sides to n_fft samples and centred as torch.stft does
// (left pad (n_fft - win_length) / 2). Requires 1 <= win_length <= n_fft.
std::vector<float> PaddedHannWindow(int win_length, int n_fft);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_FRAMING_H_
