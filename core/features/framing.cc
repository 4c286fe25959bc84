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

}  // namespace

std::vector<float> PadForFraming(absl::Span<const float> pcm, int frame_length,
                                 bool center) {
  const int64_t n = static_cast<int64_t>(pcm.size());
  if (!center) {
    std::vector<float> out(pcm.begin(), pcm.end());
    if (n < frame_length) out.resize(frame_length, 0.0f);
    return out;
  }
  const int64_t pad = frame_length / 2;
  std::vector<float> out(static_cast<size_t>(n + 2 * pad));
  for (int64_t i = 0; i < n + 2 * pad; ++i) {
    const int64_t j = i - pad;
    if (j >= 0 && j < n) {
      out[i] = pcm[j];
    } else {
      out[i] = n == 1 ? pcm[0] : pcm[ReflectIndex(j, n)];
    }
  }
  if (static_cast<int64_t>(out.size()) < frame_length) {
    out.resize(frame_length, 0.0f);
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
