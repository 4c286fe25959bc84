// The "torchscript" encoder: any TorchScript model plus its JSON spec
// (docs/torchscript.md). This is the adapter between soundsearch and libtorch:
// every c10::Error / std::exception thrown by libtorch is caught here and
// turned into an absl::Status, exactly once.
//
// Thread-safety: the loaded module is immutable after Create and shared by all
// callers; Encode() is const and keeps its tensors on its own stack, so many
// threads may call it at once (TorchScript methods may run concurrently; the
// graph executor locks its own plan cache).
//
// Intra-op threads: libtorch's thread count is process-global (at::
// set_num_threads). Create() sets it to EncoderOptions::torch_threads (when
// > 0) on CPU, so the encoder created last decides it for all torchscript
// encoders in the process; give every torchscript space the same value. With
// libtorch's OpenMP backend a thread picks the count up at its first parallel
// op, so set it before serving. Concurrent Encode() calls each use up to
// torch_threads cores.

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/const_init.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "features/log_mel.h"
#include "neural/torch_kind_entries.h"
#include "neural/torchscript_spec.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

// Peak amplitude below which a clip is flagged silent (-80 dBFS).
constexpr float kSilencePeak = 1e-4f;
constexpr int kMaxBatchSize = 4096;
constexpr int kMaxThreads = 256;

// Serialises changes of libtorch's process-global thread count.
ABSL_CONST_INIT absl::Mutex torch_threads_mu(absl::kConstInit);

std::string ShapeString(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) {
    absl::StrAppend(&s, i ? ", " : "", t.size(i));
  }
  return s + "]";
}

std::string ExceptionText(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
    return c10->what_without_backtrace();
  }
  return e.what();
}

class TorchScriptEncoder final : public Encoder {
 public:
  // `mel` is the front end for input.kind log_mel, null for waveform input.
  // `tag_names` is empty unless spec.has_tags. `tags_as_frames` (encoder
  // output "tags", needs spec.has_tags): each window's class probabilities
  // are its frame instead of the embedding.
  TorchScriptEncoder(TorchScriptSpec spec, torch::jit::Module module,
                     torch::Device device, int batch_size,
                     std::unique_ptr<LogMelSpectrogram> mel,
                     std::vector<std::string> tag_names, bool tags_as_frames)
      : spec_(std::move(spec)),
        module_(std::move(module)),
        forward_(module_.get_method("forward")),
        device_(device),
        batch_size_(batch_size),
        mel_(std::move(mel)),
        tag_names_(std::move(tag_names)),
        tags_as_frames_(tags_as_frames) {}

  const std::string& kind() const override { return kind_; }
  int sample_rate() const override { return spec_.sample_rate; }
  int frame_dim() const override {
    return tags_as_frames_ ? static_cast<int>(tag_names_.size()) : spec_.dim;
  }
  const std::vector<std::string>& tag_names() const override {
    return tag_names_;
  }
  const std::vector<std::string>& frame_names() const override {
    return tags_as_frames_ ? tag_names_ : Encoder::frame_names();
  }

  absl::StatusOr<EncodedClip> Encode(
      absl::Span<const float> pcm) const override;
  // The windows of all clips go through forward() together, batch_size_
  // windows per forward, in clip order. When a forward fails, each clip
  // with a window in it is encoded again alone (Encode), so that only the
  // clip that makes the model fail fails.
  absl::StatusOr<std::vector<absl::StatusOr<EncodedClip>>> EncodeBatch(
      absl::Span<const absl::Span<const float>> clips) const override;

  // Runs one forward on silence and checks the output against the spec.
  // FailedPrecondition with the reason when it does not match.
  absl::Status Probe() const;

  torch::Device device() const { return device_; }

 private:
  // What one forward over a batch of windows gives.
  struct WindowOutputs {
    at::Tensor frames;  // CPU float [count, frames, dim]
    at::Tensor tags;    // CPU float [count, classes] probabilities; undefined
                        // when the spec has no tags output
  };

  // One analysis window: window `index` of `pcm` (zero-padded past its end).
  struct WindowRef {
    absl::Span<const float> pcm;
    int64_t index;
  };
  // Validates `pcm`, sets clip->flags and clip->frames.dim and returns the
  // number of windows. InvalidArgument for empty or non-finite pcm.
  absl::StatusOr<int64_t> BeginClip(absl::Span<const float> pcm,
                                    EncodedClip* clip) const;
  // Adds one window's tag probabilities (tag_names_.size() floats) to the
  // per-class sum or maximum in *tags.
  void AddTags(const float* window_tags, std::vector<float>* tags) const;
  // Appends window k of `out` to `clip` (frames, and tags into *tags).
  void AppendWindow(const WindowOutputs& out, int64_t k, EncodedClip* clip,
                    std::vector<float>* tags) const;
  // Mean pooling's division; moves the tags into clip->tag_probabilities.
  void FinishTags(int64_t num_windows, std::vector<float> tags,
                  EncodedClip* clip) const;

  // Runs the model on `windows` (one batch) and returns the selected outputs as
  // contiguous CPU float tensors. The one place where libtorch exceptions are
  // caught and converted; errors carry the reason, the caller picks the code.
  absl::StatusOr<WindowOutputs> RunWindows(
      absl::Span<const WindowRef> windows) const;

  // Helpers of RunWindows; they may throw.
  // The model's input: [count, window_samples] waveform, or their log-mel
  // spectrograms in spec_.mel_layout.
  absl::StatusOr<at::Tensor> MakeInput(
      absl::Span<const WindowRef> windows) const;
  absl::StatusOr<at::Tensor> LogMelInput(const at::Tensor& windows) const;
  absl::StatusOr<at::Tensor> CheckOutput(at::Tensor out, int64_t count) const;
  // The element of forward()'s result named by (index, key), as in
  // output.select; `field` names the spec field in errors.
  absl::StatusOr<at::Tensor> SelectOutput(const c10::IValue& out, int index,
                                          const std::string& key,
                                          const char* field) const;
  // Checks the tags output [count, classes] and applies the activation.
  absl::StatusOr<at::Tensor> TagProbabilities(at::Tensor scores,
                                              int64_t count) const;

  const std::string kind_ = "torchscript";
  const TorchScriptSpec spec_;
  const torch::jit::Module module_;
  const torch::jit::Method forward_;
  const torch::Device device_;
  const int batch_size_;
  const std::unique_ptr<LogMelSpectrogram> mel_;
  const std::vector<std::string> tag_names_;
  const bool tags_as_frames_;
};

absl::StatusOr<at::Tensor> TorchScriptEncoder::MakeInput(
    absl::Span<const WindowRef> windows) const {
  const int64_t window = spec_.window_samples();
  const int64_t hop = spec_.hop_samples();
  const int64_t count = static_cast<int64_t>(windows.size());
  at::Tensor input = torch::zeros({count, window}, torch::kFloat);
  float* data = input.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i) {
    const absl::Span<const float> pcm = windows[i].pcm;
    const int64_t start = windows[i].index * hop;
    if (start >= static_cast<int64_t>(pcm.size())) continue;
    const int64_t n =
        std::min<int64_t>(window, static_cast<int64_t>(pcm.size()) - start);
    std::memcpy(data + i * window, pcm.data() + start, n * sizeof(float));
  }
  if (spec_.input_kind == TorchInputKind::kLogMel) return LogMelInput(input);
  return input;
}

absl::StatusOr<at::Tensor> TorchScriptEncoder::LogMelInput(
    const at::Tensor& windows) const {
  const int64_t count = windows.size(0);
  const int64_t window = windows.size(1);
  const float* samples = windows.data_ptr<float>();
  at::Tensor mels;  // [count, frames, n_mels]
  for (int64_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(FrameMatrix frames, mel_->Compute(absl::MakeConstSpan(
                                             samples + i * window, window)));
    if (i == 0) {
      mels = torch::empty({count, frames.num_frames(), spec_.n_mels},
                          torch::kFloat);
    }
    std::memcpy(mels[i].data_ptr<float>(), frames.data.data(),
                frames.data.size() * sizeof(float));
  }
  switch (spec_.mel_layout) {
    case MelLayout::kBatchFramesMels:
      return mels;
    case MelLayout::kBatchMelsFrames:
      return mels.transpose(1, 2).contiguous();
    case MelLayout::kBatchChannelMelsFrames:
      return mels.transpose(1, 2).unsqueeze(1).contiguous();
  }
  return absl::InternalError("unknown mel layout");
}

absl::StatusOr<at::Tensor> TorchScriptEncoder::SelectOutput(
    const c10::IValue& out, int index, const std::string& key,
    const char* field) const {
  if (out.isTensor()) {
    if (index >= 0 || !key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " is set but forward() returns a single tensor"));
    }
    return out.toTensor();
  }
  if (out.isTuple() || out.isList()) {
    const std::vector<c10::IValue> items =
        out.isTuple() ? out.toTupleRef().elements().vec()
                      : out.toListRef().vec();
    if (index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "forward() returns a tuple/list of ", items.size(), " elements; set ",
          field, " to the index of the tensor"));
    }
    if (index >= static_cast<int>(items.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " = ", index, " but forward() returns ",
                       items.size(), " elements"));
    }
    const c10::IValue& item = items[index];
    if (!item.isTensor()) {
      return absl::InvalidArgumentError(
          absl::StrCat("element ", index, " of forward()'s ", "result is a ",
                       item.tagKind(), ", not a tensor"));
    }
    return item.toTensor();
  }
  if (out.isGenericDict()) {
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("forward() returns a dict; set ", field,
                       " to the key of the tensor"));
    }
    const c10::Dict<c10::IValue, c10::IValue> dict = out.toGenericDict();
    for (const auto& entry : dict) {
      if (entry.key().isString() && entry.key().toStringRef() == key) {
        if (!entry.value().isTensor()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "dict value '", key, "' of forward()'s result is not a tensor"));
        }
        return entry.value().toTensor();
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("forward()'s dict has no key '", key, "'"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("forward() returns a ", out.tagKind(),
                   "; expected a tensor, a tuple/list or a dict of tensors"));
}

absl::StatusOr<TorchScriptEncoder::WindowOutputs>
TorchScriptEncoder::RunWindows(absl::Span<const WindowRef> windows) const {
  const int64_t count = static_cast<int64_t>(windows.size());
  const char* stage = "building the input";
  try {
    c10::InferenceMode inference_mode;
    ASSIGN_OR_RETURN(at::Tensor input, MakeInput(windows));
    stage = "forward()";
    c10::IValue result = forward_({input.to(device_)});
    stage = "reading the output";
    ASSIGN_OR_RETURN(at::Tensor out,
                     SelectOutput(result, spec_.output_index, spec_.output_key,
                                  "output.select"));
    WindowOutputs outputs;
    ASSIGN_OR_RETURN(
        outputs.frames,
        CheckOutput(out.to(torch::kCPU, torch::kFloat).contiguous(), count));
    if (spec_.has_tags) {
      ASSIGN_OR_RETURN(at::Tensor scores,
                       SelectOutput(result, spec_.tags_index, spec_.tags_key,
                                    "tags.select"));
      ASSIGN_OR_RETURN(outputs.tags, TagProbabilities(scores, count));
    }
    return outputs;
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat(stage, " failed: ", ExceptionText(e)));
  }
}

absl::StatusOr<at::Tensor> TorchScriptEncoder::TagProbabilities(
    at::Tensor scores, int64_t count) const {
  const int64_t classes = static_cast<int64_t>(tag_names_.size());
  if (scores.dim() != 2 || scores.size(0) != count ||
      scores.size(1) != classes) {
    return absl::InvalidArgumentError(
        absl::StrCat("tags output shape ", ShapeString(scores),
                     " does not match the spec: want [", count, ", ", classes,
                     "] (one score per line of tags.labels)"));
  }
  at::Tensor x = scores.to(torch::kCPU, torch::kFloat);
  if (!torch::isfinite(x).all().item<bool>()) {
    return absl::InternalError("forward() produced non-finite tag scores");
  }
  switch (spec_.tags_activation) {
    case TagActivation::kSigmoid:
      x = torch::sigmoid(x);
      break;
    case TagActivation::kSoftmax:
      x = torch::softmax(x, /*dim=*/1);
      break;
    case TagActivation::kNone:
      x = x.clamp(0.0, 1.0);
      break;
  }
  return x.contiguous();
}

absl::StatusOr<at::Tensor> TorchScriptEncoder::CheckOutput(
    at::Tensor out, int64_t count) const {
  const bool clip = spec_.output_kind == TorchOutputKind::kClip;
  const int64_t want_rank = clip ? 2 : 3;
  if (out.dim() != want_rank || out.size(0) != count ||
      out.size(out.dim() - 1) != spec_.dim || (!clip && out.size(1) < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "output shape ", ShapeString(out), " does not match the spec: want ",
        clip ? absl::StrCat("[", count, ", ", spec_.dim, "] (output.kind clip)")
             : absl::StrCat("[", count, ", frames >= 1, ", spec_.dim,
                            "] (output.kind frames)")));
  }
  if (!torch::isfinite(out).all().item<bool>()) {
    return absl::InternalError("forward() produced non-finite values");
  }
  return clip ? out.unsqueeze(1) : out;
}

absl::Status TorchScriptEncoder::Probe() const {
  const int64_t count = std::min(batch_size_, 2);
  const std::vector<float> silence(1, 0.0f);  // zero-padded to the windows
  std::vector<WindowRef> windows;
  for (int64_t i = 0; i < count; ++i) windows.push_back({silence, i});
  auto out = RunWindows(windows);
  if (!out.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "torchscript model does not match its spec (probe on silence, batch ",
        count, "): ", out.status().message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> TorchScriptEncoder::BeginClip(
    absl::Span<const float> pcm, EncodedClip* clip) const {
  if (pcm.empty()) return absl::InvalidArgumentError("empty pcm");
  float peak = 0.0f;
  for (float x : pcm) {
    if (!std::isfinite(x)) {
      return absl::InvalidArgumentError("pcm holds non-finite samples");
    }
    peak = std::max(peak, std::fabs(x));
  }
  clip->flags.silent = peak < kSilencePeak;
  const int64_t n = static_cast<int64_t>(pcm.size());
  const int64_t window = spec_.window_samples();
  const int64_t hop = spec_.hop_samples();
  clip->flags.too_short = n < window;
  clip->frames.dim = frame_dim();
  // 1 + ceil((n - window) / hop) windows; the last one is zero-padded.
  return n <= window ? 1 : 1 + (n - window + hop - 1) / hop;
}

void TorchScriptEncoder::AddTags(const float* window_tags,
                                 std::vector<float>* tags) const {
  for (size_t c = 0; c < tags->size(); ++c) {
    const float v = window_tags[c];
    (*tags)[c] = spec_.tags_pooling == TagPooling::kMax
                     ? std::max((*tags)[c], v)
                     : (*tags)[c] + v;
  }
}

void TorchScriptEncoder::AppendWindow(const WindowOutputs& out, int64_t k,
                                      EncodedClip* clip,
                                      std::vector<float>* tags) const {
  if (tags_as_frames_) {
    // One frame per window: the window's class probabilities.
    const int64_t classes = static_cast<int64_t>(tag_names_.size());
    const float* data = out.tags.data_ptr<float>() + k * classes;
    clip->frames.data.insert(clip->frames.data.end(), data, data + classes);
  } else {
    const int64_t per_window = out.frames.numel() / out.frames.size(0);
    const float* data = out.frames.data_ptr<float>() + k * per_window;
    clip->frames.data.insert(clip->frames.data.end(), data, data + per_window);
  }
  if (spec_.has_tags) {
    AddTags(out.tags.data_ptr<float>() + k * tags->size(), tags);
  }
}

void TorchScriptEncoder::FinishTags(int64_t num_windows,
                                    std::vector<float> tags,
                                    EncodedClip* clip) const {
  if (!spec_.has_tags) return;
  if (spec_.tags_pooling == TagPooling::kMean) {
    for (float& v : tags) v /= static_cast<float>(num_windows);
  }
  clip->tag_probabilities = std::move(tags);
}

absl::StatusOr<EncodedClip> TorchScriptEncoder::Encode(
    absl::Span<const float> pcm) const {
  EncodedClip clip;
  ASSIGN_OR_RETURN(const int64_t num_windows, BeginClip(pcm, &clip));
  // Per-class sum (mean pooling) or maximum (max pooling) over windows.
  std::vector<float> tags(tag_names_.size(), 0.0f);
  std::vector<WindowRef> windows;
  for (int64_t first = 0; first < num_windows; first += batch_size_) {
    const int64_t count = std::min<int64_t>(batch_size_, num_windows - first);
    windows.clear();
    for (int64_t w = first; w < first + count; ++w) windows.push_back({pcm, w});
    auto out = RunWindows(windows);
    if (!out.ok()) {
      return absl::InternalError(absl::StrCat(
          "torchscript encode (windows ", first, "..", first + count - 1,
          " of ", num_windows, "): ", out.status().message()));
    }
    for (int64_t k = 0; k < count; ++k) AppendWindow(*out, k, &clip, &tags);
  }
  FinishTags(num_windows, std::move(tags), &clip);
  return clip;
}

absl::StatusOr<std::vector<absl::StatusOr<EncodedClip>>>
TorchScriptEncoder::EncodeBatch(
    absl::Span<const absl::Span<const float>> clips) const {
  const size_t n = clips.size();
  std::vector<absl::StatusOr<EncodedClip>> results;
  results.reserve(n);
  std::vector<EncodedClip> encoded(n);
  std::vector<int64_t> num_windows(n, 0);
  std::vector<std::vector<float>> tags(n);
  std::vector<bool> valid(n, false);
  std::vector<bool> alone(n, false);  // a forward with its windows failed
  std::vector<WindowRef> windows;     // every window of every valid clip
  std::vector<size_t> owner;          // windows[k] belongs to clip owner[k]
  for (size_t i = 0; i < n; ++i) {
    auto begun = BeginClip(clips[i], &encoded[i]);
    if (!begun.ok()) {
      results.push_back(begun.status());
      continue;
    }
    results.push_back(absl::UnknownError("not encoded"));
    valid[i] = true;
    num_windows[i] = *begun;
    tags[i].assign(tag_names_.size(), 0.0f);
    for (int64_t w = 0; w < num_windows[i]; ++w) {
      windows.push_back({clips[i], w});
      owner.push_back(i);
    }
  }
  for (size_t first = 0; first < windows.size(); first += batch_size_) {
    const size_t count = std::min<size_t>(batch_size_, windows.size() - first);
    auto out = RunWindows(absl::MakeConstSpan(windows).subspan(first, count));
    for (size_t k = 0; k < count; ++k) {
      const size_t i = owner[first + k];
      if (!out.ok()) {
        alone[i] = true;
      } else if (!alone[i]) {
        AppendWindow(*out, static_cast<int64_t>(k), &encoded[i], &tags[i]);
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    if (alone[i]) {
      results[i] = Encode(clips[i]);
      continue;
    }
    FinishTags(num_windows[i], std::move(tags[i]), &encoded[i]);
    results[i] = std::move(encoded[i]);
  }
  return results;
}

absl::StatusOr<torch::Device> ResolveDevice(const TorchScriptSpec& spec,
                                            const EncoderOptions& options) {
  const bool cuda = torch::cuda::is_available();
  switch (spec.device) {
    case TorchDevice::kCpu:
      return torch::Device(torch::kCPU);
    case TorchDevice::kCuda:
      if (!options.allow_gpu) {
        return absl::FailedPreconditionError(
            "spec asks for device cuda but EncoderOptions::allow_gpu is false");
      }
      if (!cuda) {
        return absl::FailedPreconditionError(
            "spec asks for device cuda but libtorch has no CUDA device");
      }
      return torch::Device(torch::kCUDA);
    case TorchDevice::kAuto:
      break;
  }
  return (cuda && options.allow_gpu) ? torch::Device(torch::kCUDA)
                                     : torch::Device(torch::kCPU);
}

absl::Status ValidateTorchScriptOptions(const EncoderOptions& options) {
  if (options.model_path.empty()) {
    return absl::InvalidArgumentError(
        "encoder.model_path: required for a torchscript encoder");
  }
  if (options.torch_threads < 0 || options.torch_threads > kMaxThreads) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encoder.torch_threads: must be in [0, ", kMaxThreads,
        "] (0 keeps libtorch's setting), got ", options.torch_threads));
  }
  if (options.batch_size < 1 || options.batch_size > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("encoder.batch_size: must be in [1, ", kMaxBatchSize,
                     "], got ", options.batch_size));
  }
  if (options.output != "embedding" && options.output != "tags") {
    return absl::InvalidArgumentError(
        absl::StrCat("encoder.output: must be \"embedding\" or \"tags\", "
                     "got \"",
                     options.output, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Encoder>> CreateTorchScriptEncoder(
    const EncoderOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.model_path, ec)) {
    return absl::NotFoundError(absl::StrCat("torchscript: model file '",
                                            options.model_path, "' not found"));
  }
  // Default spec: `<model>.json` (e.g. m.pt.json), else the model's name
  // with its extension replaced (m.json).
  std::string spec_path = options.spec_path;
  if (spec_path.empty()) {
    spec_path = options.model_path + ".json";
    const std::string replaced =
        std::filesystem::path(options.model_path).replace_extension(".json");
    if (!std::filesystem::is_regular_file(spec_path, ec) &&
        std::filesystem::is_regular_file(replaced, ec)) {
      spec_path = replaced;
    }
  }
  ASSIGN_OR_RETURN(TorchScriptSpec spec, ReadTorchScriptSpec(spec_path));
  std::unique_ptr<LogMelSpectrogram> mel;
  if (spec.input_kind == TorchInputKind::kLogMel) {
    LogMelOptions mel_options;
    mel_options.sample_rate = spec.sample_rate;
    mel_options.n_fft = spec.n_fft;
    mel_options.win_length = spec.win_length;
    mel_options.hop_length = spec.hop_length;
    mel_options.n_mels = spec.n_mels;
    mel_options.f_min = static_cast<float>(spec.f_min);
    mel_options.f_max = static_cast<float>(spec.f_max);
    mel_options.center = spec.center;
    mel_options.log_offset = static_cast<float>(spec.log_offset);
    auto created = LogMelSpectrogram::Create(mel_options);
    if (!created.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "torchscript spec: log-mel front end (input.*) rejected: ",
          created.status().message()));
    }
    mel = std::move(created).value();
  }
  std::vector<std::string> tag_names;
  if (spec.has_tags) {
    ASSIGN_OR_RETURN(tag_names, ReadTagLabels(spec.tags_labels));
  }
  const bool tags_as_frames = options.output == "tags";
  if (tags_as_frames && !spec.has_tags) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encoder.output: \"tags\" needs a spec with a \"tags\" output (",
        spec_path, " has none)"));
  }
  ASSIGN_OR_RETURN(torch::Device device, ResolveDevice(spec, options));

  if (device.is_cpu() && options.torch_threads > 0) {
    absl::MutexLock lock(&torch_threads_mu);
    if (at::get_num_threads() != options.torch_threads) {
      at::set_num_threads(options.torch_threads);
    }
  }

  torch::jit::Module module;
  try {
    module = torch::jit::load(options.model_path, device);
    module.eval();
    if (!module.find_method("forward")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "torchscript: model '", options.model_path, "' has no forward()"));
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("torchscript: cannot load '", options.model_path,
                     "' as a TorchScript model: ", ExceptionText(e)));
  }
  auto encoder = std::make_unique<TorchScriptEncoder>(
      std::move(spec), std::move(module), device, options.batch_size,
      std::move(mel), std::move(tag_names), tags_as_frames);
  RETURN_IF_ERROR(encoder->Probe());
  return encoder;
}

}  // namespace

EncoderKind TorchScriptEncoderKind() {
  EncoderKind kind;
  kind.name = "torchscript";
  kind.option_keys = {"model_path", "spec_path",  "torch_threads",
                      "allow_gpu",  "batch_size", "output"};
  kind.default_pooling = "mean";
  kind.default_scaling = "none";
  kind.validate = &ValidateTorchScriptOptions;
  kind.create = &CreateTorchScriptEncoder;
  return kind;
}

}  // namespace soundsearch
