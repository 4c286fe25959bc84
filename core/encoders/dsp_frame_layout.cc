#include "soundsearch/dsp_frame_layout.h"

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::StatusOr<DspFrameLayout> DspFrameLayout::For(
    const EncoderOptions& options) {
  if (options.dsp_n_mels < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("dsp_n_mels must be >= 1, got ", options.dsp_n_mels));
  }
  if (options.dsp_mfcc &&
      (options.n_mfcc < 1 || options.n_mfcc > options.dsp_n_mels)) {
    return absl::InvalidArgumentError(
        absl::StrCat("n_mfcc must be in [1, dsp_n_mels=", options.dsp_n_mels,
                     "], got ", options.n_mfcc));
  }
  DspFrameLayout layout;
  int offset = 0;
  auto take = [&offset](bool on, int size) {
    DspRange r{offset, on ? size : 0};
    offset += r.size;
    return r;
  };
  layout.log_mel = take(options.dsp_log_mel, options.dsp_n_mels);
  layout.mfcc = take(options.dsp_mfcc, options.n_mfcc);
  layout.spectral_shape = take(options.dsp_spectral_shape, kNumSpectralShape);
  layout.contrast = take(options.dsp_contrast, kNumContrastBands);
  layout.zcr = take(options.dsp_zcr, 1);
  layout.rms = take(options.dsp_rms, 1);
  layout.pitch = take(options.dsp_pitch, kNumPitch);
  if (offset == 0) {
    return absl::InvalidArgumentError(
        "dsp encoder: every descriptor group is switched off");
  }
  layout.base_dim = offset;
  layout.has_deltas = options.dsp_deltas;
  layout.frame_dim = offset * (options.dsp_deltas ? 2 : 1);
  return layout;
}

std::vector<std::string> DspFrameLayout::ColumnNames() const {
  std::vector<std::string> names;
  auto add_group = [&names](const DspRange& r, const std::string& name) {
    for (int i = 0; i < r.size; ++i)
      names.push_back(absl::StrCat(name, "[", i, "]"));
  };
  auto add_named = [&names](const DspRange& r,
                            std::vector<std::string> columns) {
    for (int i = 0; i < r.size; ++i) names.push_back(columns[i]);
  };
  add_group(log_mel, "log_mel");
  add_group(mfcc, "mfcc");
  add_named(spectral_shape,
            {"spectral_centroid", "spectral_spread", "spectral_rolloff",
             "spectral_flatness", "spectral_flux"});
  add_group(contrast, "spectral_contrast");
  add_named(zcr, {"zcr"});
  add_named(rms, {"rms"});
  add_named(pitch, {"f0", "periodicity"});
  if (has_deltas) {
    const int n = static_cast<int>(names.size());
    for (int i = 0; i < n; ++i) names.push_back("delta_" + names[i]);
  }
  return names;
}

}  // namespace soundsearch
