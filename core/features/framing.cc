#include "features/framing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace soundsearch {
namespace {

// Index into a signal of length n (n >= 2) reflected about its end samples
// (numpy "reflect": ... x2 x1 | x0 x1 x2 ... xn-1 | xn-2 ...), period 2n-2.
int64_t ReflectIndex(int64_t i, int64_t n) {
  const int64_t period = 2 * n - 2;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// Sample j of the padded signal's pcm coordinates (j = padded index - pad).
float PaddedSample(absl::Span<const float> pcm, int64_t j, bool center) {
  const int64_t n = static_cast<int64_t>(pcm.size());
  if (j >= 0 && j < n) return pcm[j];
  if (!center) return 0.0f;
  return n == 1 ? pcm[0] : pcm[ReflectIndex(j, n)];
}

}  // namespace

FrameCutter::FrameCutter(absl::Span<const float> pcm, int frame_length,
                         int hop_length, bool center)
    : pcm_(pcm),
      frame_length_(frame_length),
      hop_length_(hop_length),
      center_(center),
      scratch_(frame_length) {
  const int64_t n = static_cast<int64_t>(pcm.size());
  int64_t padded = center ? n + 2 * (frame_length / 2) : n;
  if (padded < frame_length) padded = frame_length;
  num_frames_ = NumFrames(static_cast<int>(padded), frame_length, hop_length);
}

absl::Span<const float> FrameCutter::Frame(int t) {
  const int64_t pad = center_ ? frame_length_ / 2 : 0;
  const int64_t start = static_cast<int64_t>(t) * hop_length_ - pad;
  const int64_t n = static_cast<int64_t>(pcm_.size());
  if (start >= 0 && start + frame_length_ <= n) {
    return pcm_.subspan(static_cast<size_t>(start), frame_length_);
  }
  for (int i = 0; i < frame_length_; ++i) {
    scratch_[i] = PaddedSample(pcm_, start + i, center_);
  }
  return absl::MakeConstSpan(scratch_);
}

std::vector<float> PadForFraming(absl::Span<const float> pcm, int frame_length,
                                 bool center) {
  const int64_t n = static_cast<int64_t>(pcm.size());
  const int64_t pad = center ? frame_length / 2 : 0;
  std::vector<float> out(
      static_cast<size_t>(std::max<int64_t>(n + 2 * pad, frame_length)));
  for (int64_t i = 0; i < static_cast<int64_t>(out.size()); ++i) {
    out[i] = i < n + 2 * pad ? PaddedSample(pcm, i - pad, center) : 0.0f;
  }
  return out;
}

int NumFrames(int padded_length, int frame_length, int hop_length) {
  if (padded_length < frame_length) return 0;
  return 1 + (padded_length - frame_length) / hop_length;
}

std::vector<float> PaddedHannWindow(int win_length, int n_fft) {
  std::vector<float> window(n_fft, 0.0f);
  const int left = (n_fft - win_length) / 2;
  for (int n = 0; n < win_length; ++n) {
    window[left + n] =
        static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * n / win_length));
  }
  return window;
}

}  // namespace soundsearch
