// SpectralDescriptors: per-frame descriptors of one power spectrum
// P[k] = |X[k]|^2, k = 0 .. n_fft/2, bin k at f_k = k * sample_rate / n_fft
// Hz, M[k] = sqrt(P[k]). Private to core. Definitions (docs/features.md):
//
//   centroid  (Hz)  sum_k f_k M[k] / sum_k M[k]
//   spread    (Hz)  sqrt(sum_k (f_k - centroid)^2 M[k] / sum_k M[k])
//   roll-off  (Hz)  smallest f_k with sum_{j<=k} P[j] >= kRolloffFraction *
//   sum_j P[j] flatness  (1)   geometric / arithmetic mean of the band powers
//   B_j, the
//                   mean of P over consecutive groups of kFlatnessBandBins
//                   bins starting at bin 1 (DC left out; a last partial group
//                   is dropped), each floored at kPowerFloor. Averaging
//                   bins first makes white noise read ~0.94 (measured)
//                   instead of the ~0.56 a per-bin estimate gives; a pure
//                   tone reads ~0.
//   flux      (1)   || m_t - m_{t-1} ||_2 with m = M / sum_k M (L1-normalised
//                   magnitudes, 0 for a silent frame); 0 for the first frame.
//                   Range [0, sqrt(2)].
//   contrast  (B)   per octave band b (edges 0, 200, 400, ..., 6400 Hz,
//                   Nyquist: kNumContrastBands bands, bins f_k in [lo, hi)),
//                   log10(peak + kPowerFloor) - log10(valley + kPowerFloor),
//                   peak / valley = mean of the largest / smallest
//                   max(1, round(0.02 n_b)) powers of the band's n_b bins
//                   (librosa.feature.spectral_contrast on power, in bels).
//                   A band with no bins (low sample rates) gives 0.
// A silent frame (sum P == 0) gives centroid = spread = roll-off = 0 and
// flatness = 1; every output is finite for finite input.
#ifndef SOUNDSEARCH_CORE_FEATURES_SPECTRAL_DESCRIPTORS_H_
#define SOUNDSEARCH_CORE_FEATURES_SPECTRAL_DESCRIPTORS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

struct SpectralShape {
  float centroid_hz = 0.0f;
  float spread_hz = 0.0f;
  float rolloff_hz = 0.0f;
  float flatness = 1.0f;
};

// Thread-safety: immutable after Create(); all methods are const and keep
// their scratch in caller-owned arguments.
class SpectralDescriptors {
 public:
  static constexpr float kRolloffFraction = 0.85f;
  static constexpr int kFlatnessBandBins = 16;
  static constexpr float kPowerFloor = 1e-10f;
  static constexpr int kNumContrastBands = 7;
  static constexpr float kContrastQuantile = 0.02f;

  // sample_rate > 0 Hz, n_fft >= 2; InvalidArgument otherwise.
  static absl::StatusOr<SpectralDescriptors> Create(int sample_rate, int n_fft);

  int num_bins() const { return num_bins_; }

  // M[k] = sqrt(P[k]) into `out` (num_bins()).
  void Magnitude(absl::Span<const float> power, absl::Span<float> out) const;

  // power, and its Magnitude(): num_bins() values each.
  SpectralShape Shape(absl::Span<const float> power,
                      absl::Span<const float> magnitude) const;
  // The same, taking the magnitudes itself.
  SpectralShape Shape(absl::Span<const float> power) const;

  // m = magnitude / sum(magnitude) into `out` (the same size; 0 when the
  // sum is 0). `out` may be `magnitude` itself.
  static void NormalizeL1(absl::Span<const float> magnitude,
                          absl::Span<float> out);
  // L1-normalised magnitude spectrum m of `power` into `out` (num_bins()):
  // Magnitude, then NormalizeL1.
  void NormalizedMagnitude(absl::Span<const float> power,
                           absl::Span<float> out) const;
  // || current - previous ||_2 of two L1-normalised magnitude spectra.
  static float Flux(absl::Span<const float> current,
                    absl::Span<const float> previous);

  // Contrast of each octave band into out (kNumContrastBands values);
  // scratch is resized as needed (reuse it across frames).
  void Contrast(absl::Span<const float> power, std::vector<float>& scratch,
                absl::Span<float> out) const;

 private:
  SpectralDescriptors() = default;
  int num_bins_ = 0;
  std::vector<float> bin_hz_;  // f_k
  // Contrast band b covers bins [band_start_[b], band_start_[b + 1]).
  std::vector<int> band_start_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_SPECTRAL_DESCRIPTORS_H_
