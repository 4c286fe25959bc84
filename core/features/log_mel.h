// LogMelSpectrogram: the shared DSP front end, frames x n_mels natural-log
// mel energies. Private to core (encoders include "features/log_mel.h").
//
// Definition, per frame t (all options below):
//   padded = PadForFraming(pcm, n_fft, center)          (features/framing.h)
//   x_t[n] = padded[t * hop_length + n] * w[n], 0 <= n < n_fft,
//            w = periodic Hann of win_length zero-padded to n_fft (centred)
//   P_t[k] = |sum_n x_t[n] exp(-2 pi i k n / n_fft)|^2, 0 <= k <= n_fft/2
//            (unnormalised power, no 1/n_fft scaling)
//   out[t][m] = ln(sum_k W[m][k] P_t[k] + log_offset)
//            W = HTK mel filterbank, torchaudio melscale_fbanks(norm=None)
//            (features/mel_filterbank.h)
// This equals ln(torchaudio.transforms.MelSpectrogram(sample_rate, n_fft,
// win_length, hop_length, f_min, f_max, n_mels=n_mels, power=2,
// center=center, pad_mode="reflect", mel_scale="htk", norm=None) + offset).
// Number of frames: 1 + (len(padded) - n_fft) / hop_length, i.e.
// 1 + len(pcm) / hop_length when center is true.
#ifndef SOUNDSEARCH_CORE_FEATURES_LOG_MEL_H_
#define SOUNDSEARCH_CORE_FEATURES_LOG_MEL_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "features/fft.h"
#include "features/mel_filterbank.h"
#include "soundsearch/frame_matrix.h"

namespace soundsearch {

struct LogMelOptions {
  int sample_rate = 16000;  // Hz of the input pcm, > 0
  int n_fft = 512;          // FFT size in samples, >= 2
  int win_length = 0;       // 0 = n_fft; Hann window, zero-padded to n_fft
  int hop_length = 160;     // samples between frame starts, >= 1
  int n_mels = 64;          // mel bands, >= 1
  float f_min = 0.0f;       // Hz, lowest filter edge
  float f_max = 0.0f;       // 0 = sample_rate / 2
  bool center = true;  // reflect-pad n_fft/2 each side, as torch.stft/librosa
  float log_offset = 1e-6f;  // natural log(mel_power + log_offset), > 0
};

// Thread-safety: immutable after Create(); Compute() is const and may run
// concurrently from many threads (each call has its own FFT buffers).
class LogMelSpectrogram {
 public:
  // InvalidArgument (with the offending field) for bad options; Internal if
  // FFTW cannot plan.
  static absl::StatusOr<std::unique_ptr<LogMelSpectrogram>> Create(
      const LogMelOptions& options);

  // pcm: mono at options.sample_rate. Returns frames x n_mels; InvalidArgument
  // if empty.
  absl::StatusOr<FrameMatrix> Compute(absl::Span<const float> pcm) const;

  const LogMelOptions& options() const { return options_; }
  const MelFilterbank& filterbank() const { return filterbank_; }

 private:
  LogMelSpectrogram(const LogMelOptions& options, MelFilterbank filterbank,
                    std::unique_ptr<RealFft> fft, std::vector<float> window);

  const LogMelOptions options_;
  const MelFilterbank filterbank_;
  const std::unique_ptr<RealFft> fft_;
  const std::vector<float> window_;  // n_fft samples
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_FEATURES_LOG_MEL_H_
