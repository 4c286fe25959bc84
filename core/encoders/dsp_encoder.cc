// The "dsp" encoder: hand-made descriptors per short frame, plus their
// deltas. Layout: soundsearch/dsp_frame_layout.h; definitions:
// docs/features.md and the headers in features/.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "encoders/clip_input.h"
#include "encoders/encoder_factories.h"
#include "features/dct.h"
#include "features/deltas.h"
#include "features/fft.h"
#include "features/framing.h"
#include "features/mel_filterbank.h"
#include "features/spectral_descriptors.h"
#include "features/temporal_descriptors.h"
#include "features/yin_pitch.h"
#include "soundsearch/dsp_frame_layout.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr float kLogOffset = 1e-6f;  // ln(mel power + kLogOffset)
constexpr float kPitchMinHz = 60.0f;
constexpr float kPitchMaxHz = 2000.0f;

// Thread-safety: immutable after construction; Encode() is const and keeps
// all scratch on its own stack.
class DspEncoder : public Encoder {
 public:
  static absl::StatusOr<std::unique_ptr<Encoder>> Create(
      const EncoderOptions& options) {
    ASSIGN_OR_RETURN(DspFrameLayout layout, DspFrameLayout::For(options));
    auto encoder = std::unique_ptr<DspEncoder>(new DspEncoder(options, layout));
    ASSIGN_OR_RETURN(encoder->fft_, RealFft::Create(options.n_fft));
    MelFilterbankOptions fb;
    fb.sample_rate = options.sample_rate;
    fb.n_fft = options.n_fft;
    fb.n_mels = options.dsp_n_mels;
    ASSIGN_OR_RETURN(MelFilterbank filterbank, MelFilterbank::Create(fb));
    encoder->filterbank_ =
        std::make_unique<MelFilterbank>(std::move(filterbank));
    if (options.dsp_mfcc) {
      ASSIGN_OR_RETURN(OrthoDct dct,
                       OrthoDct::Create(options.dsp_n_mels, options.n_mfcc));
      encoder->dct_ = std::make_unique<OrthoDct>(std::move(dct));
    }
    ASSIGN_OR_RETURN(
        SpectralDescriptors spectral,
        SpectralDescriptors::Create(options.sample_rate, options.n_fft));
    encoder->spectral_ =
        std::make_unique<SpectralDescriptors>(std::move(spectral));
    if (options.dsp_pitch) {
      YinOptions yin;
      yin.sample_rate = options.sample_rate;
      yin.frame_length = options.n_fft;
      // The longest period must fit twice in the frame.
      yin.f0_min = std::max(kPitchMinHz, 2.02f * options.sample_rate /
                                             static_cast<float>(options.n_fft));
      yin.f0_max = std::min(kPitchMaxHz, 0.45f * options.sample_rate);
      auto pitch = YinPitch::Create(yin);
      if (!pitch.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dsp encoder: pitch group needs a longer n_fft than ",
            options.n_fft, " at ", options.sample_rate, " Hz (",
            pitch.status().message(), "); or set dsp_pitch = false"));
      }
      encoder->pitch_ = std::move(pitch).value();
    }
    encoder->window_ = PaddedHannWindow(options.n_fft, options.n_fft);
    return std::unique_ptr<Encoder>(std::move(encoder));
  }

  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return options_.sample_rate; }
  int frame_dim() const override { return layout_.frame_dim; }

  absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const override {
    EncodedClip clip;
    std::vector<float> short_storage;
    ASSIGN_OR_RETURN(
        absl::Span<const float> signal,
        PrepareClip(pcm, options_.n_fft, short_storage, clip.flags));
    const int n_fft = options_.n_fft;
    FrameCutter cutter(signal, n_fft, options_.hop_length, /*center=*/true);
    const int frames = cutter.num_frames();
    FrameMatrix base(frames, layout_.base_dim);

    const int bins = fft_->num_bins();
    RealFft::Buffers buffers = fft_->MakeBuffers();
    std::vector<float> power(bins), mel(options_.dsp_n_mels);
    std::vector<float> magnitude(bins), previous_magnitude(bins, 0.0f);
    std::vector<float> contrast_scratch;
    std::optional<YinPitch::Scratch> pitch_scratch;
    if (pitch_) pitch_scratch.emplace(pitch_->MakeScratch());
    const float silence = SilenceRmsThreshold(options_.silence_db);
    bool all_silent = true;

    for (int t = 0; t < frames; ++t) {
      const absl::Span<const float> raw = cutter.Frame(t);
      absl::Span<float> row = base.row(t);
      const float rms = Rms(raw);
      if (rms >= silence) all_silent = false;

      float* fft_in = buffers.real();
      const float* x = raw.data();  // unchecked, unlike Span's operator[]
      const float* w = window_.data();
      for (int n = 0; n < n_fft; ++n) fft_in[n] = x[n] * w[n];
      fft_->Forward(buffers);
      fft_->PowerSpectrum(buffers, absl::MakeSpan(power));

      if (!layout_.log_mel.empty() || !layout_.mfcc.empty()) {
        filterbank_->Apply(power, absl::MakeSpan(mel));
        for (float& v : mel) v = std::log(v + kLogOffset);
        if (!layout_.log_mel.empty()) {
          std::copy(mel.begin(), mel.end(),
                    row.begin() + layout_.log_mel.offset);
        }
        if (!layout_.mfcc.empty()) {
          dct_->Apply(mel, row.subspan(layout_.mfcc.offset, layout_.mfcc.size));
        }
      }
      if (!layout_.spectral_shape.empty()) {
        spectral_->Magnitude(power, absl::MakeSpan(magnitude));
        const SpectralShape shape = spectral_->Shape(power, magnitude);
        float* out = row.data() + layout_.spectral_shape.offset;
        out[DspFrameLayout::kCentroid] = shape.centroid_hz / 1000.0f;
        out[DspFrameLayout::kSpread] = shape.spread_hz / 1000.0f;
        out[DspFrameLayout::kRolloff] = shape.rolloff_hz / 1000.0f;
        out[DspFrameLayout::kFlatness] = shape.flatness;
        SpectralDescriptors::NormalizeL1(magnitude, absl::MakeSpan(magnitude));
        out[DspFrameLayout::kFlux] =
            t == 0 ? 0.0f
                   : SpectralDescriptors::Flux(magnitude, previous_magnitude);
        magnitude.swap(previous_magnitude);
      }
      if (!layout_.contrast.empty()) {
        spectral_->Contrast(
            power, contrast_scratch,
            row.subspan(layout_.contrast.offset, layout_.contrast.size));
      }
      if (!layout_.zcr.empty()) row[layout_.zcr.offset] = ZeroCrossingRate(raw);
      if (!layout_.rms.empty()) row[layout_.rms.offset] = rms;
      if (!layout_.pitch.empty()) {
        const PitchEstimate p = pitch_->Estimate(raw, *pitch_scratch);
        row[layout_.pitch.offset + DspFrameLayout::kF0] = p.f0_hz / 1000.0f;
        row[layout_.pitch.offset + DspFrameLayout::kPeriodicity] =
            p.periodicity;
      }
    }
    clip.flags.silent = all_silent;

    if (!layout_.has_deltas) {
      clip.frames = std::move(base);
      return clip;
    }
    clip.frames = FrameMatrix(frames, layout_.frame_dim);
    for (int t = 0; t < frames; ++t) {
      std::copy(base.row(t).begin(), base.row(t).end(),
                clip.frames.row(t).begin());
    }
    WriteDeltas(base, kDeltaWidth, clip.frames, layout_.base_dim);
    return clip;
  }

 private:
  DspEncoder(const EncoderOptions& options, const DspFrameLayout& layout)
      : options_(options), layout_(layout) {}

  const std::string kind_ = "dsp";
  const EncoderOptions options_;
  const DspFrameLayout layout_;
  std::unique_ptr<RealFft> fft_;
  std::unique_ptr<MelFilterbank> filterbank_;
  std::unique_ptr<OrthoDct> dct_;  // null when the mfcc group is off
  std::unique_ptr<SpectralDescriptors> spectral_;
  std::unique_ptr<YinPitch> pitch_;  // null when the pitch group is off
  std::vector<float> window_;        // periodic Hann, n_fft samples
};

}  // namespace

EncoderKind DspEncoderKind() {
  EncoderKind kind;
  kind.name = "dsp";
  kind.option_keys = {
      "sample_rate",  "n_fft",       "hop_length", "n_mfcc",
      "dsp_n_mels",   "dsp_log_mel", "dsp_mfcc",   "dsp_spectral_shape",
      "dsp_contrast", "dsp_zcr",     "dsp_rms",    "dsp_pitch",
      "dsp_deltas"};
  kind.default_pooling = "mean_std";
  kind.default_scaling = "minmax";
  kind.validate = [](const EncoderOptions& o) -> absl::Status {
    RETURN_IF_ERROR(ValidateFrameOptions(o));
    RETURN_IF_ERROR(CheckRange("dsp_n_mels", o.dsp_n_mels, 1, 1024));
    if (o.dsp_mfcc) {
      RETURN_IF_ERROR(CheckRange("n_mfcc", o.n_mfcc, 1, o.dsp_n_mels));
    }
    if (!(o.dsp_log_mel || o.dsp_mfcc || o.dsp_spectral_shape ||
          o.dsp_contrast || o.dsp_zcr || o.dsp_rms || o.dsp_pitch)) {
      return absl::InvalidArgumentError(
          "encoder: a dsp encoder needs at least one descriptor group");
    }
    return absl::OkStatus();
  };
  kind.create = &DspEncoder::Create;
  return kind;
}

}  // namespace soundsearch
