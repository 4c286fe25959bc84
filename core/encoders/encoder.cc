#include "soundsearch/encoder.h"

#include "absl/strings/str_cat.h"
#include "encoders/encoder_factories.h"

namespace soundsearch {

const std::vector<std::string>& Encoder::tag_names() const {
  static const auto* const kNone = new std::vector<std::string>();
  return *kNone;
}

absl::StatusOr<std::vector<absl::StatusOr<EncodedClip>>> Encoder::EncodeBatch(
    absl::Span<const absl::Span<const float>> clips) const {
  std::vector<absl::StatusOr<EncodedClip>> out;
  out.reserve(clips.size());
  for (absl::Span<const float> pcm : clips) out.push_back(Encode(pcm));
  return out;
}

absl::StatusOr<std::unique_ptr<Encoder>> Encoder::Create(
    const EncoderOptions& options) {
  if (options.kind == "dsp") return CreateDspEncoder(options);
  if (options.kind == "mfcc") return CreateMfccEncoder(options);
  if (options.kind == "torchscript") return CreateTorchScriptEncoder(options);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown encoder kind '", options.kind,
                   "' (expected dsp, mfcc or torchscript)"));
}

}  // namespace soundsearch
