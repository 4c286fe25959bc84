// YinPitch: fundamental frequency and periodicity of one frame with the YIN
// method (de Cheveigne & Kawahara 2002), difference function computed through
// the FFT. Private to core.
//
// For a frame x of L samples (its mean removed), lags tau in
// [tau_min, tau_max] with tau_min = floor(sr / f0_max), tau_max =
// ceil(sr / f0_min) and an integration window W = L - tau_max:
//   d(tau)  = sum_{j<W} (x[j] - x[j + tau])^2
//   d'(tau) = d(tau) * tau / sum_{i=1..tau} d(i)      (d'(0) = 1)
// The chosen lag is the first local minimum of d' below `threshold`, or the
// global minimum of d' when none dips below it, refined by parabolic
// interpolation. Outputs:
//   periodicity (1): clamp(1 - d'(lag), 0, 1); ~1 for a periodic tone,
//                    ~0 for noise; 0 for a frame without energy (silence, DC).
//   f0 (Hz):         sample_rate / refined lag when d'(lag) <
//   voicing_threshold,
//                    otherwise 0 (unvoiced).
#ifndef SOUNDSEARCH_CORE_FEATURES_YIN_PITCH_H_
#define SOUNDSEARCH_CORE_FEATURES_YIN_PITCH_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "features/fft.h"

namespace soundsearch {

struct YinOptions {
  int sample_rate = 22050;  // Hz of the frames, > 0
  int frame_length = 1024;  // samples per frame L
  float f0_min = 60.0f;     // Hz, lowest f0 searched; needs tau_max < L / 2
  float f0_max = 2000.0f;   // Hz, highest f0 searched, > f0_min, < sr / 2
  float threshold = 0.15f;  // YIN absolute threshold on d'
  float voicing_threshold = 0.3f;  // d'(lag) above this reports f0 = 0
};

struct PitchEstimate {
  float f0_hz = 0.0f;        // 0 when unvoiced
  float periodicity = 0.0f;  // [0, 1]
};

// Thread-safety: immutable after Create(); Estimate() is const and may run
// concurrently, each caller with its own Scratch.
class YinPitch {
 public:
  // Per-caller buffers. Not shared between threads.
  struct Scratch {
    RealFft::Buffers window;
    RealFft::Buffers frame;
    std::vector<double> energy_prefix;
    std::vector<double> difference;  // d(tau)
    std::vector<double> running;     // sum_{i=1..tau} d(i)
    std::vector<float> cmnd;         // d'(tau)
  };

  // InvalidArgument when the options are out of range (see YinOptions).
  static absl::StatusOr<std::unique_ptr<YinPitch>> Create(
      const YinOptions& options);

  Scratch MakeScratch() const;

  // frame: options.frame_length samples.
  PitchEstimate Estimate(absl::Span<const float> frame, Scratch& scratch) const;

  int tau_min() const { return tau_min_; }
  int tau_max() const { return tau_max_; }

 private:
  YinPitch(const YinOptions& options, std::unique_ptr<RealFft> fft, int tau_min,
           int tau_max);
  const YinOptions options_;
  const std::unique_ptr<RealFft> fft_;  // size frame_length
  const int tau_min_;
  const int tau_max_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_YIN_PITCH_H_
