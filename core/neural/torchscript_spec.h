// TorchScriptSpec: the JSON file that describes how to feed a TorchScript
// model and how to read its output (format in docs/torchscript.md). Parsing
// needs no libtorch headers. Private to core.
#ifndef SOUNDSEARCH_CORE_NEURAL_TORCHSCRIPT_SPEC_H_
#define SOUNDSEARCH_CORE_NEURAL_TORCHSCRIPT_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "neural/torch_device.h"

namespace soundsearch {

enum class TorchInputKind {
  kWaveform,  // float32 [batch, window_samples], mono in [-1, 1]
  kLogMel,    // float32 log-mel from our LogMelSpectrogram, see MelLayout
};

// Tensor layout of a log-mel input batch.
enum class MelLayout {
  kBatchMelsFrames,         // [batch, n_mels, frames]
  kBatchChannelMelsFrames,  // [batch, 1, n_mels, frames]
  kBatchFramesMels,         // [batch, frames, n_mels]
};

enum class TorchOutputKind {
  kClip,    // [batch, dim]: one vector per window
  kFrames,  // [batch, frames, dim]: several vectors per window
};

// How a tags output (logits or scores, [batch, classes]) becomes
// probabilities in [0, 1].
enum class TagActivation {
  kSigmoid,  // independent classes (multi-label, e.g. AudioSet)
  kSoftmax,  // mutually exclusive classes
  kNone,     // the model already returns probabilities (clamped to [0, 1])
};

// How the per-window probabilities of a clip become the clip's.
enum class TagPooling {
  kMean,  // mean over windows: what the clip is about overall
  kMax,   // maximum over windows: any window that holds the class
};

// Value type; not synchronised.
struct TorchScriptSpec {
  int sample_rate = 0;  // Hz, > 0

  // Long clips are cut into windows of window_seconds every hop_seconds; the
  // last window (and a clip shorter than one window) is zero-padded.
  double window_seconds = 0.0;  // > 0
  double hop_seconds = 0.0;     // > 0; defaults to window_seconds

  TorchDevice device = TorchDevice::kAuto;

  TorchInputKind input_kind = TorchInputKind::kWaveform;
  // Log-mel front end (input_kind == kLogMel only). Sizes in samples.
  MelLayout mel_layout = MelLayout::kBatchChannelMelsFrames;
  int n_fft = 0;       // > 0
  int win_length = 0;  // 0 < win_length <= n_fft; defaults to n_fft
  int hop_length = 0;  // > 0
  int n_mels = 0;      // > 0
  double f_min = 0.0;  // Hz, >= 0
  double f_max = 0.0;  // Hz, f_min < f_max <= sample_rate / 2; default Nyquist
  bool center = true;  // frames centred on hop_length * i (reflect padding)
  double log_offset = 1e-6;  // log(mel_power + log_offset), > 0

  TorchOutputKind output_kind = TorchOutputKind::kClip;
  int dim = 0;  // > 0, length of each output vector
  // When forward() returns a tuple or list, the element at output_index
  // (>= 0) is taken; when it returns a dict, the value at output_key. At most
  // one of them is set; neither is needed when forward() returns a tensor.
  int output_index = -1;
  std::string output_key;

  // Optional tags output (the "tags" object): per-window class scores
  // [batch, classes] selected like the embedding (tags_index for a tuple or
  // list, tags_key for a dict), named by the lines of a labels file.
  bool has_tags = false;
  int tags_index = -1;
  std::string tags_key;
  // The labels file as written in the spec; ReadTorchScriptSpec resolves a
  // relative path against the spec file's folder.
  std::string tags_labels;
  TagActivation tags_activation = TagActivation::kSigmoid;
  TagPooling tags_pooling = TagPooling::kMean;

  int window_samples() const;  // round(window_seconds * sample_rate), >= 1
  int hop_samples() const;     // round(hop_seconds * sample_rate), >= 1
};

// Parses and validates spec JSON. InvalidArgument naming the offending field
// (e.g. "output.dim") for a missing, mistyped, out-of-range or unknown field.
absl::StatusOr<TorchScriptSpec> ParseTorchScriptSpec(absl::string_view json);

// Reads and parses the spec file at `path`. InvalidArgument when the file is
// missing or unreadable (the spec is an option of the encoder), or invalid.
// A relative tags.labels is resolved against the folder of `path`.
absl::StatusOr<TorchScriptSpec> ReadTorchScriptSpec(const std::string& path);

// Reads a labels file: one class name per line, in output order; trailing
// whitespace and a final empty line are ignored. InvalidArgument when it
// cannot be read, is empty or holds an empty name.
absl::StatusOr<std::vector<std::string>> ReadTagLabels(const std::string& path);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_NEURAL_TORCHSCRIPT_SPEC_H_
