// MelFilterbank: triangular filters on the HTK mel scale applied to a power
// spectrum. Private to core.
//
// Definition (identical to torchaudio.functional.melscale_fbanks with
// mel_scale="htk", norm=None):
//   mel(f) = 2595 log10(1 + f / 700)
//   bin k (0 <= k < n_fft/2 + 1) sits at f_k = k * sample_rate / n_fft Hz;
//   n_mels + 2 points equally spaced in mel from mel(f_min) to mel(f_max)
//   give edge frequencies p_0 .. p_{n_mels+1} in Hz; filter m has weight
//   max(0, min((f - p_m) / (p_{m+1} - p_m), (p_{m+2} - f) / (p_{m+2} -
//   p_{m+1}))) at f = f_k (peak 1, no area normalisation).
#ifndef SOUNDSEARCH_CORE_FEATURES_MEL_FILTERBANK_H_
#define SOUNDSEARCH_CORE_FEATURES_MEL_FILTERBANK_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

struct MelFilterbankOptions {
  int sample_rate = 16000;  // Hz, > 0
  int n_fft = 512;          // FFT size; the spectrum has n_fft/2 + 1 bins
  int n_mels = 64;          // number of filters, >= 1
  float f_min = 0.0f;       // Hz, >= 0 and < f_max
  float f_max = 0.0f;       // Hz, <= sample_rate / 2; 0 = sample_rate / 2
};

// Thread-safety: immutable after Create(); Apply() is const.
class MelFilterbank {
 public:
  // InvalidArgument for out-of-range options.
  static absl::StatusOr<MelFilterbank> Create(
      const MelFilterbankOptions& options);

  static double HzToMel(double hz);
  static double MelToHz(double mel);

  int n_mels() const { return static_cast<int>(filters_.size()); }
  int num_bins() const { return num_bins_; }

  // power: num_bins() values; mel: n_mels() values, mel[m] = sum_k w_m(k)
  // power[k].
  void Apply(absl::Span<const float> power, absl::Span<float> mel) const;

  // Weight of filter m at bin k (for tests and documentation).
  float Weight(int m, int k) const;

 private:
  struct Filter {
    int first_bin = 0;           // first bin with a non-zero weight
    std::vector<float> weights;  // weights of bins first_bin, first_bin + 1...
  };
  MelFilterbank() = default;
  int num_bins_ = 0;
  std::vector<Filter> filters_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_MEL_FILTERBANK_H_
