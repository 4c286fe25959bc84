#include "features/yin_pitch.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<YinPitch>> YinPitch::Create(
    const YinOptions& options) {
  const YinOptions& o = options;
  if (o.sample_rate <= 0 || o.frame_length < 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "YinOptions need sample_rate > 0 and frame_length >= 8, got ",
        o.sample_rate, ", ", o.frame_length));
  }
  if (!(o.f0_min > 0.0f) || !(o.f0_max > o.f0_min) ||
      !(o.f0_max < o.sample_rate / 2.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "YinOptions need 0 < f0_min < f0_max < sample_rate/2, got f0_min=",
        o.f0_min, " f0_max=", o.f0_max));
  }
  const int tau_min =
      std::max(2, static_cast<int>(std::floor(o.sample_rate / o.f0_max)));
  const int tau_max = static_cast<int>(std::ceil(o.sample_rate / o.f0_min));
  if (tau_max > o.frame_length / 2 || tau_max <= tau_min + 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "YinOptions: the longest period (sample_rate / f0_min = ", tau_max,
        " samples) must fit twice in frame_length ", o.frame_length,
        "; raise f0_min or the frame length"));
  }
  if (!(o.threshold > 0.0f) || !(o.voicing_threshold > 0.0f)) {
    return absl::InvalidArgumentError("YinOptions thresholds must be > 0");
  }
  ASSIGN_OR_RETURN(std::unique_ptr<RealFft> fft,
                   RealFft::Create(o.frame_length));
  return std::unique_ptr<YinPitch>(
      new YinPitch(options, std::move(fft), tau_min, tau_max));
}

YinPitch::YinPitch(const YinOptions& options, std::unique_ptr<RealFft> fft,
                   int tau_min, int tau_max)
    : options_(options),
      fft_(std::move(fft)),
      tau_min_(tau_min),
      tau_max_(tau_max) {}

YinPitch::Scratch YinPitch::MakeScratch() const {
  return Scratch{fft_->MakeBuffers(), fft_->MakeBuffers(),
                 std::vector<double>(options_.frame_length + 1),
                 std::vector<float>(tau_max_ + 1)};
}

PitchEstimate YinPitch::Estimate(absl::Span<const float> frame,
                                 Scratch& scratch) const {
  const int length = options_.frame_length;
  const int window = length - tau_max_;
  double mean = 0.0;
  for (int i = 0; i < length; ++i) mean += frame[i];
  mean /= length;
  float* x = scratch.frame.real();
  float* a = scratch.window.real();
  std::vector<double>& prefix = scratch.energy_prefix;
  prefix[0] = 0.0;
  // The running sum stays in a register (the buffers may alias as far as
  // the compiler knows: reading prefix[i] back cost a store-to-load round
  // trip per sample, a third of this function's time).
  double energy = 0.0;
  for (int i = 0; i < length; ++i) {
    const float xi = static_cast<float>(frame[i] - mean);
    x[i] = xi;
    a[i] = i < window ? xi : 0.0f;
    energy += static_cast<double>(xi) * xi;
    prefix[i + 1] = energy;
  }
  PitchEstimate result;
  // No energy left once DC is removed: silence or a constant.
  if (!(prefix[length] > 1e-12 * length)) return result;

  // r(tau) = sum_{j<W} x[j] x[j+tau] = IDFT(conj(A) B)[tau] / L; no circular
  // wrap since j + tau < W + tau_max = L.
  fft_->Forward(scratch.window);
  fft_->Forward(scratch.frame);
  std::complex<float>* wa = scratch.window.spectrum();
  const std::complex<float>* fb = scratch.frame.spectrum();
  for (int k = 0; k < fft_->num_bins(); ++k) wa[k] = std::conj(wa[k]) * fb[k];
  fft_->Inverse(scratch.window);
  const float* r = scratch.window.real();  // r(tau) * L

  std::vector<float>& cmnd = scratch.cmnd;
  cmnd[0] = 1.0f;
  const double e1 = prefix[window];
  double running = 0.0;
  for (int tau = 1; tau <= tau_max_; ++tau) {
    const double e2 = prefix[tau + window] - prefix[tau];
    const double d = std::max(0.0, e1 + e2 - 2.0 * r[tau] / length);
    running += d;
    cmnd[tau] = running > 0.0 ? static_cast<float>(d * tau / running) : 1.0f;
  }

  int lag = -1;
  for (int tau = tau_min_; tau <= tau_max_; ++tau) {
    if (cmnd[tau] < options_.threshold) {
      while (tau + 1 <= tau_max_ && cmnd[tau + 1] < cmnd[tau]) ++tau;
      lag = tau;
      break;
    }
  }
  if (lag < 0) {
    lag = tau_min_;
    for (int tau = tau_min_ + 1; tau <= tau_max_; ++tau) {
      if (cmnd[tau] < cmnd[lag]) lag = tau;
    }
  }
  double refined = lag;
  if (lag > 1 && lag < tau_max_) {
    const double p = cmnd[lag - 1], q = cmnd[lag], s = cmnd[lag + 1];
    const double denom = p - 2.0 * q + s;
    if (denom > 0.0) {
      const double delta = 0.5 * (p - s) / denom;
      if (std::abs(delta) < 1.0) refined += delta;
    }
  }
  result.periodicity = std::clamp(1.0f - cmnd[lag], 0.0f, 1.0f);
  if (cmnd[lag] < options_.voicing_threshold) {
    result.f0_hz = static_cast<float>(options_.sample_rate / refined);
  }
  return result;
}

}  // namespace soundsearch
