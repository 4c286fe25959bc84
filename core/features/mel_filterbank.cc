#include "features/mel_filterbank.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace soundsearch {

double MelFilterbank::HzToMel(double hz) {
  return 2595.0 * std::log10(1.0 + hz / 700.0);
}

double MelFilterbank::MelToHz(double mel) {
  return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
}

absl::StatusOr<MelFilterbank> MelFilterbank::Create(
    const MelFilterbankOptions& options) {
  if (options.sample_rate <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample_rate must be > 0, got ", options.sample_rate));
  }
  if (options.n_fft < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("n_fft must be >= 2, got ", options.n_fft));
  }
  if (options.n_mels < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("n_mels must be >= 1, got ", options.n_mels));
  }
  const double nyquist = options.sample_rate / 2.0;
  const double f_max = options.f_max == 0.0f ? nyquist : options.f_max;
  if (!(options.f_min >= 0.0f) || !(f_max <= nyquist) ||
      !(options.f_min < f_max)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "need 0 <= f_min < f_max <= sample_rate/2, got f_min=", options.f_min,
        " f_max=", f_max, " sample_rate=", options.sample_rate));
  }
  MelFilterbank fb;
  fb.num_bins_ = options.n_fft / 2 + 1;
  const double mel_lo = HzToMel(options.f_min);
  const double mel_hi = HzToMel(f_max);
  std::vector<double> edges(options.n_mels + 2);
  for (int i = 0; i < options.n_mels + 2; ++i) {
    edges[i] = MelToHz(mel_lo + (mel_hi - mel_lo) * i / (options.n_mels + 1));
  }
  fb.filters_.resize(options.n_mels);
  for (int m = 0; m < options.n_mels; ++m) {
    const double lo = edges[m], mid = edges[m + 1], hi = edges[m + 2];
    Filter& filter = fb.filters_[m];
    filter.first_bin = -1;
    for (int k = 0; k < fb.num_bins_; ++k) {
      // Bin frequencies as torch.linspace(0, sr/2, n_bins).
      const double f = nyquist * k / (fb.num_bins_ - 1);
      const double down = (f - lo) / (mid - lo);
      const double up = (hi - f) / (hi - mid);
      const double w = std::max(0.0, std::min(down, up));
      if (w > 0.0) {
        if (filter.first_bin < 0) filter.first_bin = k;
        filter.weights.resize(k - filter.first_bin + 1, 0.0f);
        filter.weights[k - filter.first_bin] = static_cast<float>(w);
      }
    }
    if (filter.first_bin < 0) filter.first_bin = 0;  // empty filter: all zero
  }
  return fb;
}

void MelFilterbank::Apply(absl::Span<const float> power,
                          absl::Span<float> mel) const {
  for (size_t m = 0; m < filters_.size(); ++m) {
    const Filter& filter = filters_[m];
    const float* p = power.data() + filter.first_bin;
    float sum = 0.0f;
    for (size_t i = 0; i < filter.weights.size(); ++i) {
      sum += filter.weights[i] * p[i];
    }
    mel[m] = sum;
  }
}

float MelFilterbank::Weight(int m, int k) const {
  const Filter& filter = filters_[m];
  const int i = k - filter.first_bin;
  if (i < 0 || i >= static_cast<int>(filter.weights.size())) return 0.0f;
  return filter.weights[i];
}

}  // namespace soundsearch
