#include "features/spectral_descriptors.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "features/lane_sum.h"

namespace soundsearch {
namespace {

// Up to this many values per end, one pass that keeps them in two small
// sorted arrays beats two nth_element calls (most values enter neither).
constexpr int kSmallQuantileCount = 16;

// The sums of the q smallest and of the q largest of `v` (q <= v.size(),
// q <= kSmallQuantileCount), in one pass; `scratch` is reused.
void SmallestAndLargest(absl::Span<const float> v, int q,
                        std::vector<float>& scratch, double& smallest_sum,
                        double& largest_sum) {
  scratch.assign(2 * q, 0.0f);
  float* low = scratch.data();       // ascending: low[q - 1] is the bar
  float* high = scratch.data() + q;  // descending: high[q - 1] is the bar
  const float* values = v.data();    // unchecked, unlike Span's operator[]
  std::copy(values, values + q, low);
  std::sort(low, low + q);
  std::reverse_copy(low, low + q, high);
  for (size_t i = q; i < v.size(); ++i) {
    const float x = values[i];
    if (x < low[q - 1]) {
      int j = q - 1;
      for (; j > 0 && low[j - 1] > x; --j) low[j] = low[j - 1];
      low[j] = x;
    }
    if (x > high[q - 1]) {
      int j = q - 1;
      for (; j > 0 && high[j - 1] < x; --j) high[j] = high[j - 1];
      high[j] = x;
    }
  }
  smallest_sum = 0.0;
  largest_sum = 0.0;
  for (int i = 0; i < q; ++i) {
    smallest_sum += low[i];
    largest_sum += high[i];
  }
}

}  // namespace

absl::StatusOr<SpectralDescriptors> SpectralDescriptors::Create(int sample_rate,
                                                                int n_fft) {
  if (sample_rate <= 0 || n_fft < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("SpectralDescriptors needs sample_rate > 0 and n_fft >= 2"
                     ", got ",
                     sample_rate, ", ", n_fft));
  }
  SpectralDescriptors d;
  d.num_bins_ = n_fft / 2 + 1;
  d.bin_hz_.resize(d.num_bins_);
  for (int k = 0; k < d.num_bins_; ++k) {
    d.bin_hz_[k] =
        static_cast<float>(static_cast<double>(k) * sample_rate / n_fft);
  }
  // Octave band edges 0, 200, 400, ..., 6400 Hz, then everything above.
  std::vector<double> edges = {0.0};
  for (int b = 0; b < kNumContrastBands - 1; ++b)
    edges.push_back(200.0 * (1 << b));
  d.band_start_.assign(kNumContrastBands + 1, d.num_bins_);
  for (int b = 0; b < kNumContrastBands; ++b) {
    int k = 0;
    while (k < d.num_bins_ && d.bin_hz_[k] < edges[b]) ++k;
    d.band_start_[b] = k;
  }
  d.band_start_[kNumContrastBands] = d.num_bins_;
  return d;
}

void SpectralDescriptors::Magnitude(absl::Span<const float> power,
                                    absl::Span<float> out) const {
  const float* p = power.data();
  float* m = out.data();
  for (int k = 0; k < num_bins_; ++k) m[k] = std::sqrt(p[k]);
}

SpectralShape SpectralDescriptors::Shape(absl::Span<const float> power) const {
  std::vector<float> magnitude(num_bins_);
  Magnitude(power, absl::MakeSpan(magnitude));
  return Shape(power, magnitude);
}

SpectralShape SpectralDescriptors::Shape(
    absl::Span<const float> power, absl::Span<const float> magnitude) const {
  SpectralShape s;
  // Raw pointers in the loops: absl::Span's operator[] checks its bounds
  // (Debian's abseil is hardened), which keeps a loop from vectorising.
  const float* m = magnitude.data();
  const float* p = power.data();
  const float* hz = bin_hz_.data();
  const double mag_sum = LaneSum(num_bins_, [&](int k) { return m[k]; });
  const double power_sum = LaneSum(num_bins_, [&](int k) { return p[k]; });
  if (mag_sum > 0.0) {
    const double weighted = LaneSum(
        num_bins_, [&](int k) { return static_cast<double>(m[k]) * hz[k]; });
    const double centroid = weighted / mag_sum;
    const double var = LaneSum(num_bins_, [&](int k) {
      const double dev = hz[k] - centroid;
      return dev * dev * m[k];
    });
    s.centroid_hz = static_cast<float>(centroid);
    s.spread_hz = static_cast<float>(std::sqrt(var / mag_sum));
  }
  if (power_sum > 0.0) {
    const double target = kRolloffFraction * power_sum;
    double cum = 0.0;
    int k = 0;
    for (; k < num_bins_ - 1; ++k) {
      cum += p[k];
      if (cum >= target) break;
    }
    s.rolloff_hz = bin_hz_[k];
  }
  // Flatness over band powers.
  const int bands = (num_bins_ - 1) / kFlatnessBandBins;
  if (bands >= 1) {
    double log_sum = 0.0, lin_sum = 0.0;
    for (int j = 0; j < bands; ++j) {
      const float* band = p + 1 + j * kFlatnessBandBins;
      double b = LaneSum(kFlatnessBandBins, [&](int k) { return band[k]; });
      b = std::max(b / kFlatnessBandBins, static_cast<double>(kPowerFloor));
      log_sum += std::log(b);
      lin_sum += b;
    }
    s.flatness =
        static_cast<float>(std::exp(log_sum / bands) / (lin_sum / bands));
  }
  return s;
}

void SpectralDescriptors::NormalizeL1(absl::Span<const float> magnitude,
                                      absl::Span<float> out) {
  const int n = static_cast<int>(magnitude.size());
  const float* m = magnitude.data();
  float* o = out.data();
  const double sum = LaneSum(n, [&](int k) { return m[k]; });
  const float scale = sum > 0.0 ? static_cast<float>(1.0 / sum) : 0.0f;
  for (int k = 0; k < n; ++k) o[k] = m[k] * scale;
}

void SpectralDescriptors::NormalizedMagnitude(absl::Span<const float> power,
                                              absl::Span<float> out) const {
  Magnitude(power, out);
  NormalizeL1(out, out);
}

float SpectralDescriptors::Flux(absl::Span<const float> current,
                                absl::Span<const float> previous) {
  const float* c = current.data();
  const float* p = previous.data();
  const double sum = LaneSum(static_cast<int>(current.size()), [&](int k) {
    const double d = c[k] - p[k];
    return d * d;
  });
  return static_cast<float>(std::sqrt(sum));
}

void SpectralDescriptors::Contrast(absl::Span<const float> power,
                                   std::vector<float>& scratch,
                                   absl::Span<float> out) const {
  for (int b = 0; b < kNumContrastBands; ++b) {
    const int lo = band_start_[b], hi = band_start_[b + 1];
    const int n = hi - lo;
    if (n <= 0) {
      out[b] = 0.0f;
      continue;
    }
    const int q =
        std::max(1, static_cast<int>(std::lround(kContrastQuantile * n)));
    double valley = 0.0, peak = 0.0;
    if (q == 1) {
      // std::min / std::max compile to branch-free instructions, unlike
      // std::minmax_element's compare-and-branch per value.
      const float* band = power.data() + lo;
      float low = band[0], high = band[0];
      for (int k = 1; k < n; ++k) {
        low = std::min(low, band[k]);
        high = std::max(high, band[k]);
      }
      valley = low;
      peak = high;
    } else if (q <= kSmallQuantileCount) {
      SmallestAndLargest(power.subspan(lo, n), q, scratch, valley, peak);
    } else {
      scratch.assign(power.begin() + lo, power.begin() + hi);
      // Smallest q to the front, then the largest q to the back.
      std::nth_element(scratch.begin(), scratch.begin() + (q - 1),
                       scratch.end());
      for (int i = 0; i < q; ++i) valley += scratch[i];
      std::nth_element(scratch.begin(), scratch.begin() + (n - q),
                       scratch.end());
      for (int i = n - q; i < n; ++i) peak += scratch[i];
    }
    valley /= q;
    peak /= q;
    out[b] = static_cast<float>(std::log10(peak + kPowerFloor) -
                                std::log10(valley + kPowerFloor));
  }
}

}  // namespace soundsearch
