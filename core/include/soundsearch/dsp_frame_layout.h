// DspFrameLayout: which columns of a "dsp" encoder frame hold which
// descriptor, so that quality work can select or ablate descriptor groups
// (also in pooled vectors: pool the frame columns in the same order).
//
// A frame is [base descriptors | their deltas]. The base part holds the
// enabled groups in this fixed order (a disabled group has size 0 and takes
// no columns):
//   log_mel         n_mels   ln(mel power + 1e-6), HTK mel, power of the
//                            Hann-windowed frame (features/log_mel.h)
//   mfcc            n_mfcc   DCT-II (ortho) of the log-mel bands, c0 first
//   spectral_shape  5        kCentroid, kSpread, kRolloff (kHz), kFlatness,
//                            kFlux (dimensionless)
//   contrast        7        octave-band spectral contrast (bels), bands
//                            0-200, 200-400, ..., 3200-6400, 6400-Nyquist Hz
//   zcr             1        zero-crossing rate (crossings per sample)
//   rms             1        RMS level (full scale, linear)
//   pitch           2        kF0 (kHz, 0 when unvoiced), kPeriodicity (0..1);
//                            YIN on the raw frame, f0 searched in
//                            [max(60, 2.02 sr / n_fft), min(2000, 0.45 sr)] Hz
// With deltas on, column base_dim + i holds the delta (5-frame regression,
// units per hop) of base column i; Delta(range) maps a group's range there.
// Defaults (64 mels, 20 MFCCs, all groups, deltas): base_dim 100,
// frame_dim 200.
#ifndef SOUNDSEARCH_DSP_FRAME_LAYOUT_H_
#define SOUNDSEARCH_DSP_FRAME_LAYOUT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "soundsearch/encoder.h"

namespace soundsearch {

// Columns [offset, offset + size) of a frame; size 0 when the group is off.
struct DspRange {
  int offset = 0;
  int size = 0;
  bool empty() const { return size == 0; }
};

// Value type; thread-compatible.
struct DspFrameLayout {
  // Indices inside the spectral_shape group.
  static constexpr int kCentroid = 0;
  static constexpr int kSpread = 1;
  static constexpr int kRolloff = 2;
  static constexpr int kFlatness = 3;
  static constexpr int kFlux = 4;
  static constexpr int kNumSpectralShape = 5;
  static constexpr int kNumContrastBands = 7;
  // Indices inside the pitch group.
  static constexpr int kF0 = 0;
  static constexpr int kPeriodicity = 1;
  static constexpr int kNumPitch = 2;

  DspRange log_mel, mfcc, spectral_shape, contrast, zcr, rms, pitch;
  int base_dim = 0;         // columns of base descriptors
  bool has_deltas = false;  // deltas occupy [base_dim, 2 * base_dim)
  int frame_dim = 0;        // base_dim * (has_deltas ? 2 : 1)

  // The columns holding the deltas of `base`; empty when deltas are off.
  DspRange Delta(const DspRange& base) const {
    return has_deltas ? DspRange{base.offset + base_dim, base.size}
                      : DspRange{};
  }

  // Name of every column, e.g. "log_mel[3]", "spectral_centroid",
  // "delta_mfcc[0]"; frame_dim entries.
  std::vector<std::string> ColumnNames() const;

  // The layout a "dsp" encoder built from `options` emits. InvalidArgument
  // when no group is enabled or a size is out of range (n_mfcc > dsp_n_mels).
  static absl::StatusOr<DspFrameLayout> For(const EncoderOptions& options);
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_DSP_FRAME_LAYOUT_H_
