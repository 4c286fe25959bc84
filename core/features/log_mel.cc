#include "features/log_mel.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "features/framing.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<LogMelSpectrogram>> LogMelSpectrogram::Create(
    const LogMelOptions& options) {
  LogMelOptions opts = options;
  if (opts.n_fft < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("LogMelOptions.n_fft must be >= 2, got ", opts.n_fft));
  }
  if (opts.win_length == 0) opts.win_length = opts.n_fft;
  if (opts.win_length < 1 || opts.win_length > opts.n_fft) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LogMelOptions.win_length must be in [1, n_fft=", opts.n_fft, "], got ",
        options.win_length));
  }
  if (opts.hop_length < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LogMelOptions.hop_length must be >= 1, got ", opts.hop_length));
  }
  if (!(opts.log_offset > 0.0f)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LogMelOptions.log_offset must be > 0, got ", opts.log_offset));
  }
  MelFilterbankOptions fb_options;
  fb_options.sample_rate = opts.sample_rate;
  fb_options.n_fft = opts.n_fft;
  fb_options.n_mels = opts.n_mels;
  fb_options.f_min = opts.f_min;
  fb_options.f_max = opts.f_max;
  ASSIGN_OR_RETURN(MelFilterbank filterbank, MelFilterbank::Create(fb_options));
  ASSIGN_OR_RETURN(std::unique_ptr<RealFft> fft, RealFft::Create(opts.n_fft));
  std::vector<float> window = PaddedHannWindow(opts.win_length, opts.n_fft);
  return std::unique_ptr<LogMelSpectrogram>(new LogMelSpectrogram(
      opts, std::move(filterbank), std::move(fft), std::move(window)));
}

LogMelSpectrogram::LogMelSpectrogram(const LogMelOptions& options,
                                     MelFilterbank filterbank,
                                     std::unique_ptr<RealFft> fft,
                                     std::vector<float> window)
    : options_(options),
      filterbank_(std::move(filterbank)),
      fft_(std::move(fft)),
      window_(std::move(window)) {}

absl::StatusOr<FrameMatrix> LogMelSpectrogram::Compute(
    absl::Span<const float> pcm) const {
  if (pcm.empty()) {
    return absl::InvalidArgumentError("LogMelSpectrogram: empty pcm");
  }
  const int n_fft = options_.n_fft;
  FrameCutter cutter(pcm, n_fft, options_.hop_length, options_.center);
  const int frames = cutter.num_frames();
  const int n_mels = options_.n_mels;
  FrameMatrix out(frames, n_mels);
  RealFft::Buffers buffers = fft_->MakeBuffers();
  std::vector<float> power(fft_->num_bins());
  for (int t = 0; t < frames; ++t) {
    const float* src = cutter.Frame(t).data();
    float* dst = buffers.real();
    for (int n = 0; n < n_fft; ++n) dst[n] = src[n] * window_[n];
    fft_->Forward(buffers);
    fft_->PowerSpectrum(buffers, absl::MakeSpan(power));
    absl::Span<float> row = out.row(t);
    filterbank_.Apply(power, row);
    for (float& v : row) v = std::log(v + options_.log_offset);
  }
  return out;
}

}  // namespace soundsearch
