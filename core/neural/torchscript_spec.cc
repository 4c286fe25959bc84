#include "neural/torchscript_spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

using Json = nlohmann::json;

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("torchscript spec: field '", field, "' ", what));
}

// Rejects keys of `object` not in `allowed` (catches typos such as "hop").
absl::Status CheckKeys(const Json& object, absl::string_view prefix,
                       std::initializer_list<const char*> allowed) {
  for (const auto& item : object.items()) {
    bool known = false;
    for (const char* name : allowed) known = known || item.key() == name;
    if (!known) {
      return FieldError(absl::StrCat(prefix, item.key()),
                        absl::StrCat("is unknown (expected one of: ",
                                     absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<const Json*> GetObject(const Json& parent,
                                      absl::string_view prefix,
                                      const char* name) {
  auto it = parent.find(name);
  if (it == parent.end()) {
    return FieldError(absl::StrCat(prefix, name), "is missing");
  }
  if (!it->is_object()) {
    return FieldError(absl::StrCat(prefix, name), "must be an object");
  }
  return &*it;
}

// Reads a number into *out. Missing: keeps *out unless `required`.
absl::Status GetNumber(const Json& parent, absl::string_view prefix,
                       const char* name, bool required, double* out) {
  auto it = parent.find(name);
  if (it == parent.end()) {
    return required ? FieldError(absl::StrCat(prefix, name), "is missing")
                    : absl::OkStatus();
  }
  if (!it->is_number()) {
    return FieldError(absl::StrCat(prefix, name), "must be a number");
  }
  *out = it->get<double>();
  if (!std::isfinite(*out)) {
    return FieldError(absl::StrCat(prefix, name), "must be finite");
  }
  return absl::OkStatus();
}

absl::Status GetInt(const Json& parent, absl::string_view prefix,
                    const char* name, bool required, int* out) {
  auto it = parent.find(name);
  if (it == parent.end()) {
    return required ? FieldError(absl::StrCat(prefix, name), "is missing")
                    : absl::OkStatus();
  }
  if (!it->is_number_integer()) {
    return FieldError(absl::StrCat(prefix, name), "must be an integer");
  }
  const int64_t value = it->get<int64_t>();
  if (value < -(int64_t{1} << 30) || value > (int64_t{1} << 30)) {
    return FieldError(absl::StrCat(prefix, name), "is out of range");
  }
  *out = static_cast<int>(value);
  return absl::OkStatus();
}

absl::Status GetBool(const Json& parent, absl::string_view prefix,
                     const char* name, bool* out) {
  auto it = parent.find(name);
  if (it == parent.end()) return absl::OkStatus();
  if (!it->is_boolean()) {
    return FieldError(absl::StrCat(prefix, name), "must be true or false");
  }
  *out = it->get<bool>();
  return absl::OkStatus();
}

// Reads a string that must be one of `choices`; returns its index.
absl::StatusOr<int> GetChoice(const Json& parent, absl::string_view prefix,
                              const char* name, bool required, int fallback,
                              std::initializer_list<const char*> choices) {
  auto it = parent.find(name);
  if (it == parent.end()) {
    if (required) return FieldError(absl::StrCat(prefix, name), "is missing");
    return fallback;
  }
  if (it->is_string()) {
    const std::string value = it->get<std::string>();
    int index = 0;
    for (const char* choice : choices) {
      if (value == choice) return index;
      ++index;
    }
  }
  return FieldError(
      absl::StrCat(prefix, name),
      absl::StrCat("must be one of: ", absl::StrJoin(choices, ", "), " (got ",
                   it->dump(), ")"));
}

absl::Status ParseInput(const Json& input, TorchScriptSpec* spec) {
  constexpr absl::string_view p = "input.";
  ASSIGN_OR_RETURN(int kind, GetChoice(input, p, "kind", /*required=*/true, 0,
                                       {"waveform", "log_mel"}));
  spec->input_kind = static_cast<TorchInputKind>(kind);
  if (spec->input_kind == TorchInputKind::kWaveform) {
    return CheckKeys(input, p, {"kind"});
  }
  RETURN_IF_ERROR(
      CheckKeys(input, p,
                {"kind", "layout", "n_fft", "win_length", "hop_length",
                 "n_mels", "f_min", "f_max", "center", "log_offset"}));
  ASSIGN_OR_RETURN(int layout,
                   GetChoice(input, p, "layout", /*required=*/true, 0,
                             {"batch_mels_frames", "batch_1_mels_frames",
                              "batch_frames_mels"}));
  spec->mel_layout = static_cast<MelLayout>(layout);
  RETURN_IF_ERROR(GetInt(input, p, "n_fft", true, &spec->n_fft));
  spec->win_length = spec->n_fft;
  RETURN_IF_ERROR(GetInt(input, p, "win_length", false, &spec->win_length));
  RETURN_IF_ERROR(GetInt(input, p, "hop_length", true, &spec->hop_length));
  RETURN_IF_ERROR(GetInt(input, p, "n_mels", true, &spec->n_mels));
  spec->f_min = 0.0;
  spec->f_max = spec->sample_rate / 2.0;
  RETURN_IF_ERROR(GetNumber(input, p, "f_min", false, &spec->f_min));
  RETURN_IF_ERROR(GetNumber(input, p, "f_max", false, &spec->f_max));
  RETURN_IF_ERROR(GetBool(input, p, "center", &spec->center));
  RETURN_IF_ERROR(GetNumber(input, p, "log_offset", false, &spec->log_offset));

  if (spec->n_fft <= 0) return FieldError("input.n_fft", "must be > 0");
  if (spec->win_length <= 0 || spec->win_length > spec->n_fft) {
    return FieldError("input.win_length", "must be in [1, n_fft]");
  }
  if (spec->hop_length <= 0) {
    return FieldError("input.hop_length", "must be > 0");
  }
  if (spec->n_mels <= 0) return FieldError("input.n_mels", "must be > 0");
  if (spec->f_min < 0.0) return FieldError("input.f_min", "must be >= 0");
  if (spec->f_max <= spec->f_min || spec->f_max > spec->sample_rate / 2.0) {
    return FieldError("input.f_max", "must be > f_min and <= sample_rate / 2");
  }
  if (!(spec->log_offset > 0.0)) {
    return FieldError("input.log_offset", "must be > 0");
  }
  return absl::OkStatus();
}

// Reads `select` of an output object: a tuple index or a dict key.
absl::Status GetSelect(const Json& object, absl::string_view field, int* index,
                       std::string* key) {
  auto it = object.find("select");
  if (it == object.end()) return absl::OkStatus();
  if (it->is_number_integer() && it->get<int64_t>() >= 0 &&
      it->get<int64_t>() < 1024) {
    *index = it->get<int>();
  } else if (it->is_string() && !it->get<std::string>().empty()) {
    *key = it->get<std::string>();
  } else {
    return FieldError(field,
                      "must be a tuple index (integer >= 0) or a dict key "
                      "(non-empty string)");
  }
  return absl::OkStatus();
}

absl::Status ParseOutput(const Json& output, TorchScriptSpec* spec) {
  constexpr absl::string_view p = "output.";
  RETURN_IF_ERROR(CheckKeys(output, p, {"kind", "dim", "select"}));
  ASSIGN_OR_RETURN(int kind, GetChoice(output, p, "kind", /*required=*/true, 0,
                                       {"clip", "frames"}));
  spec->output_kind = static_cast<TorchOutputKind>(kind);
  RETURN_IF_ERROR(GetInt(output, p, "dim", true, &spec->dim));
  if (spec->dim <= 0) return FieldError("output.dim", "must be > 0");
  return GetSelect(output, "output.select", &spec->output_index,
                   &spec->output_key);
}

absl::Status ParseTags(const Json& tags, TorchScriptSpec* spec) {
  constexpr absl::string_view p = "tags.";
  RETURN_IF_ERROR(
      CheckKeys(tags, p, {"select", "labels", "activation", "pooling"}));
  spec->has_tags = true;
  if (tags.find("select") == tags.end()) {
    return FieldError("tags.select", "is missing");
  }
  RETURN_IF_ERROR(
      GetSelect(tags, "tags.select", &spec->tags_index, &spec->tags_key));
  if (spec->tags_index >= 0 && spec->tags_index == spec->output_index) {
    return FieldError("tags.select", "must differ from output.select");
  }
  if (!spec->tags_key.empty() && spec->tags_key == spec->output_key) {
    return FieldError("tags.select", "must differ from output.select");
  }
  auto labels = tags.find("labels");
  if (labels == tags.end()) return FieldError("tags.labels", "is missing");
  if (!labels->is_string() || labels->get<std::string>().empty()) {
    return FieldError("tags.labels", "must be a non-empty file path");
  }
  spec->tags_labels = labels->get<std::string>();
  ASSIGN_OR_RETURN(int activation, GetChoice(tags, p, "activation", false, 0,
                                             {"sigmoid", "softmax", "none"}));
  spec->tags_activation = static_cast<TagActivation>(activation);
  ASSIGN_OR_RETURN(int pooling,
                   GetChoice(tags, p, "pooling", false, 0, {"mean", "max"}));
  spec->tags_pooling = static_cast<TagPooling>(pooling);
  return absl::OkStatus();
}

}  // namespace

int TorchScriptSpec::window_samples() const {
  return std::max(1,
                  static_cast<int>(std::lround(window_seconds * sample_rate)));
}

int TorchScriptSpec::hop_samples() const {
  return std::max(1, static_cast<int>(std::lround(hop_seconds * sample_rate)));
}

absl::StatusOr<TorchScriptSpec> ParseTorchScriptSpec(absl::string_view json) {
  Json root = Json::parse(json.begin(), json.end(), /*cb=*/nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return absl::InvalidArgumentError("torchscript spec: not valid JSON");
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        "torchscript spec: top level must be a JSON object");
  }
  RETURN_IF_ERROR(CheckKeys(root, "",
                            {"sample_rate", "window_seconds", "hop_seconds",
                             "device", "input", "output", "tags"}));
  TorchScriptSpec spec;
  RETURN_IF_ERROR(GetInt(root, "", "sample_rate", true, &spec.sample_rate));
  if (spec.sample_rate < 1000 || spec.sample_rate > 384000) {
    return FieldError("sample_rate", "must be in [1000, 384000] Hz");
  }
  RETURN_IF_ERROR(
      GetNumber(root, "", "window_seconds", true, &spec.window_seconds));
  if (!(spec.window_seconds > 0.0) || spec.window_seconds > 3600.0) {
    return FieldError("window_seconds", "must be in (0, 3600]");
  }
  spec.hop_seconds = spec.window_seconds;
  RETURN_IF_ERROR(GetNumber(root, "", "hop_seconds", false, &spec.hop_seconds));
  if (!(spec.hop_seconds > 0.0) || spec.hop_seconds > spec.window_seconds) {
    return FieldError("hop_seconds", "must be in (0, window_seconds]");
  }
  ASSIGN_OR_RETURN(int device, GetChoice(root, "", "device", false, 0,
                                         {"auto", "cpu", "cuda"}));
  spec.device = static_cast<TorchDevice>(device);

  ASSIGN_OR_RETURN(const Json* input, GetObject(root, "", "input"));
  RETURN_IF_ERROR(ParseInput(*input, &spec));
  ASSIGN_OR_RETURN(const Json* output, GetObject(root, "", "output"));
  RETURN_IF_ERROR(ParseOutput(*output, &spec));
  if (root.contains("tags")) {
    ASSIGN_OR_RETURN(const Json* tags, GetObject(root, "", "tags"));
    RETURN_IF_ERROR(ParseTags(*tags, &spec));
  }
  return spec;
}

absl::StatusOr<TorchScriptSpec> ReadTorchScriptSpec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        "torchscript spec: cannot read '", path,
        "' (set EncoderOptions::spec_path or put <model>.json beside the "
        "model)"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto spec = ParseTorchScriptSpec(text.str());
  if (!spec.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(spec.status().message(), " (in ", path, ")"));
  }
  if (spec->has_tags &&
      std::filesystem::path(spec->tags_labels).is_relative()) {
    spec->tags_labels =
        (std::filesystem::path(path).parent_path() / spec->tags_labels)
            .string();
  }
  return spec;
}

absl::StatusOr<std::vector<std::string>> ReadTagLabels(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        "torchscript spec: cannot read tags.labels file '", path, "'"));
  }
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    labels.emplace_back(absl::StripTrailingAsciiWhitespace(line));
  }
  if (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "torchscript spec: tags.labels file '", path, "' is empty"));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("torchscript spec: tags.labels file '", path, "': line ",
                       i + 1, " is empty"));
    }
  }
  return labels;
}

}  // namespace soundsearch
