// The "mfcc" encoder: MFCC frames (optionally with deltas), the input of the
// bag-of-audio-words codebook. Definition: features/log_mel.h (front end),
// features/dct.h (cepstrum), features/deltas.h; docs/features.md.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "encoders/clip_input.h"
#include "encoders/encoder_factories.h"
#include "features/dct.h"
#include "features/deltas.h"
#include "features/framing.h"
#include "features/log_mel.h"
#include "features/temporal_descriptors.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// Thread-safety: immutable after construction; Encode() is const.
class MfccEncoder : public Encoder {
 public:
  static absl::StatusOr<std::unique_ptr<Encoder>> Create(
      const EncoderOptions& options) {
    LogMelOptions lm;
    lm.sample_rate = options.sample_rate;
    lm.n_fft = options.n_fft;
    lm.hop_length = options.hop_length;
    lm.n_mels = options.mfcc_n_mels;
    lm.center = true;
    ASSIGN_OR_RETURN(std::unique_ptr<LogMelSpectrogram> log_mel,
                     LogMelSpectrogram::Create(lm));
    ASSIGN_OR_RETURN(OrthoDct dct,
                     OrthoDct::Create(options.mfcc_n_mels, options.n_mfcc));
    return std::unique_ptr<Encoder>(
        new MfccEncoder(options, std::move(log_mel), std::move(dct)));
  }

  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return options_.sample_rate; }
  int frame_dim() const override {
    return options_.n_mfcc * (options_.mfcc_deltas ? 2 : 1);
  }

  absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const override {
    EncodedClip clip;
    std::vector<float> short_storage;
    ASSIGN_OR_RETURN(
        absl::Span<const float> signal,
        PrepareClip(pcm, options_.n_fft, short_storage, clip.flags));
    ASSIGN_OR_RETURN(FrameMatrix log_mel, log_mel_->Compute(signal));
    const int frames = log_mel.num_frames();
    const int n_mfcc = options_.n_mfcc;
    FrameMatrix cepstra(frames, n_mfcc);
    for (int t = 0; t < frames; ++t) dct_.Apply(log_mel.row(t), cepstra.row(t));

    // Silence on the same frames the spectrum saw (raw samples, no window).
    FrameCutter cutter(signal, options_.n_fft, options_.hop_length,
                       /*center=*/true);
    const float silence = SilenceRmsThreshold(options_.silence_db);
    bool all_silent = true;
    for (int t = 0; t < frames && all_silent; ++t) {
      if (Rms(cutter.Frame(t)) >= silence) all_silent = false;
    }
    clip.flags.silent = all_silent;

    if (!options_.mfcc_deltas) {
      clip.frames = std::move(cepstra);
      return clip;
    }
    clip.frames = FrameMatrix(frames, 2 * n_mfcc);
    for (int t = 0; t < frames; ++t) {
      std::copy(cepstra.row(t).begin(), cepstra.row(t).end(),
                clip.frames.row(t).begin());
    }
    WriteDeltas(cepstra, kDeltaWidth, clip.frames, n_mfcc);
    return clip;
  }

 private:
  MfccEncoder(const EncoderOptions& options,
              std::unique_ptr<LogMelSpectrogram> log_mel, OrthoDct dct)
      : options_(options), log_mel_(std::move(log_mel)), dct_(std::move(dct)) {}

  const std::string kind_ = "mfcc";
  const EncoderOptions options_;
  const std::unique_ptr<LogMelSpectrogram> log_mel_;
  const OrthoDct dct_;
};

}  // namespace

EncoderKind MfccEncoderKind() {
  EncoderKind kind;
  kind.name = "mfcc";
  kind.option_keys = {"sample_rate", "n_fft",       "hop_length",
                      "n_mfcc",      "mfcc_n_mels", "mfcc_deltas"};
  kind.validate = [](const EncoderOptions& o) -> absl::Status {
    RETURN_IF_ERROR(ValidateFrameOptions(o));
    RETURN_IF_ERROR(CheckRange("mfcc_n_mels", o.mfcc_n_mels, 1, 1024));
    return CheckRange("n_mfcc", o.n_mfcc, 1, o.mfcc_n_mels);
  };
  kind.create = &MfccEncoder::Create;
  return kind;
}

}  // namespace soundsearch
