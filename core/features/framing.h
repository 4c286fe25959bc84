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

// The frames PadForFraming() + NumFrames() define, cut without copying the
// whole signal: frames inside pcm are views into it, frames that reach into
// the padding are assembled in an internal buffer. pcm must be non-empty and
// outlive the cutter.
// Thread-safety: not thread-safe (one cutter per call; it is cheap).
class FrameCutter {
 public:
  // frame_length >= 1, hop_length >= 1.
  FrameCutter(absl::Span<const float> pcm, int frame_length, int hop_length,
              bool center);

  int num_frames() const { return num_frames_; }
  // Samples of frame t (frame_length of them), 0 <= t < num_frames(); valid
  // until the next call to Frame().
  absl::Span<const float> Frame(int t);

 private:
  absl::Span<const float> pcm_;
  int frame_length_;
  int hop_length_;
  bool center_;
  int num_frames_;
  std::vector<float> scratch_;
};

// Periodic Hann window of win_length samples, w[n] = 0.5 - 0.5 cos(2 pi n /
// win_length) (torch.hann_window default, scipy "hann" with sym=False),
// zero-padded on both sides to n_fft samples and centred as torch.stft does
// (left pad (n_fft - win_length) / 2). Requires 1 <= win_length <= n_fft.
std::vector<float> PaddedHannWindow(int win_length, int n_fft);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_FRAMING_H_
