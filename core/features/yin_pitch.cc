#include "features/yin_pitch.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "features/lane_sum.h"
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
  return Scratch{fft_->MakeBuffers(),
                 fft_->MakeBuffers(),
                 std::vector<double>(options_.frame_length + 1),
                 std::vector<double>(tau_max_ + 1),
                 std::vector<double>(tau_max_ + 1),
                 std::vector<float>(tau_max_ + 1)};
}

PitchEstimate YinPitch::Estimate(absl::Span<const float> frame,
                                 Scratch& scratch) const {
  const int length = options_.frame_length;
  const int window = length - tau_max_;
  // Sums run in independent lanes (chains of dependent double additions
  // were most of this function's time), and loops read raw pointers
  // (absl::Span's operator[] checks bounds in Debian's hardened abseil,
  // which keeps a loop from vectorising).
  const float* in = frame.data();
  const double mean = LaneSum(length, [&](int i) { return in[i]; }) / length;
  float* x = scratch.frame.real();
  float* a = scratch.window.real();
  for (int j = 0; j < length; ++j) x[j] = static_cast<float>(in[j] - mean);
  std::copy(x, x + window, a);
  std::fill(a + window, a + length, 0.0f);
  // The energy prefix sums, prefix[j] = sum_{i<j} x[i]^2, in kLanes blocks
  // whose running sums are independent chains, then each block offset by
  // the totals of the blocks before it.
  constexpr int kLanes = kLaneSumLanes;
  std::vector<double>& prefix = scratch.energy_prefix;
  prefix[0] = 0.0;
  const int block = (length + kLanes - 1) / kLanes;
  double block_total[kLanes] = {};
  for (int j = 0; j < block; ++j) {
    for (int l = 0; l < kLanes; ++l) {
      const int at = l * block + j;
      if (at < length) {
        block_total[l] += static_cast<double>(x[at]) * x[at];
        prefix[at + 1] = block_total[l];
      }
    }
  }
  double offset = block_total[0];
  for (int l = 1; l < kLanes; ++l) {
    const int end = std::min(length, (l + 1) * block);
    for (int j = l * block; j < end; ++j) prefix[j + 1] += offset;
    offset += block_total[l];
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
  // conj(A) B written out: std::complex's product checks for NaN and
  // infinity (C99 Annex G) in a branch per bin; these are finite.
  float* w = reinterpret_cast<float*>(wa);
  const float* f = reinterpret_cast<const float*>(fb);
  for (int k = 0; k < fft_->num_bins(); ++k) {
    const float ar = w[2 * k], ai = w[2 * k + 1];
    const float br = f[2 * k], bi = f[2 * k + 1];
    w[2 * k] = ar * br + ai * bi;
    w[2 * k + 1] = ar * bi - ai * br;
  }
  fft_->Inverse(scratch.window);
  const float* r = scratch.window.real();  // r(tau) * L

  // d(tau), then its running sum, then d'(tau), each in a loop of its own:
  // only the running sum is a chain, and the other two vectorise.
  std::vector<double>& d = scratch.difference;
  std::vector<double>& running = scratch.running;
  const double e1 = prefix[window];
  for (int tau = 1; tau <= tau_max_; ++tau) {
    const double e2 = prefix[tau + window] - prefix[tau];
    d[tau] = std::max(0.0, e1 + e2 - 2.0 * r[tau] / length);
  }
  double sum = 0.0;  // in a register, not read back from `running`
  running[0] = 0.0;
  for (int tau = 1; tau <= tau_max_; ++tau) {
    sum += d[tau];
    running[tau] = sum;
  }
  std::vector<float>& cmnd = scratch.cmnd;
  cmnd[0] = 1.0f;
  for (int tau = 1; tau <= tau_max_; ++tau) {
    // Divides by 1 where the sum is 0 (and discards it), so the loop needs
    // no branch.
    const bool positive = running[tau] > 0.0;
    const double ratio = d[tau] * tau / (positive ? running[tau] : 1.0);
    cmnd[tau] = positive ? static_cast<float>(ratio) : 1.0f;
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
