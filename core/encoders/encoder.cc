// Encoder defaults, Encoder::Create and the encoder kind table: core's
// kinds from the start, others as their libraries register them.
#include "soundsearch/encoder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "encoders/encoder_factories.h"
#include "soundsearch/encoder_kinds.h"
#include "soundsearch/status_macros.h"
#include "util/kind_table.h"

namespace soundsearch {
namespace {

KindTable<EncoderKind>& Table() {
  static KindTable<EncoderKind>* const table = [] {
    auto* t = new KindTable<EncoderKind>("encoder kind");
    t->Add(DspEncoderKind()).IgnoreError();  // distinct built-in names
    t->Add(MfccEncoderKind()).IgnoreError();
    return t;
  }();
  return *table;
}

}  // namespace

absl::Status RegisterEncoderKind(EncoderKind kind) {
  if (!kind.validate || !kind.create) {
    return absl::InvalidArgumentError(absl::StrCat(
        "encoder kind \"", kind.name, "\": validate and create are required"));
  }
  return Table().Add(std::move(kind));
}

const EncoderKind* FindEncoderKind(absl::string_view name) {
  return Table().Find(name);
}

std::vector<std::string> EncoderKindNames() { return Table().Names(); }

const std::vector<std::string>& Encoder::tag_names() const {
  static const auto* const kNone = new std::vector<std::string>();
  return *kNone;
}

const std::vector<std::string>& Encoder::frame_names() const {
  return Encoder::tag_names();  // the shared empty list
}

absl::StatusOr<std::vector<absl::StatusOr<EncodedClip>>> Encoder::EncodeBatch(
    absl::Span<const absl::Span<const float>> clips) const {
  std::vector<absl::StatusOr<EncodedClip>> out;
  out.reserve(clips.size());
  for (absl::Span<const float> pcm : clips) out.push_back(Encode(pcm));
  return out;
}

absl::StatusOr<EncodedClip> Encoder::EncodeText(
    absl::Span<const std::string> words) const {
  return absl::UnimplementedError(
      absl::StrCat("encoder kind \"", kind(), "\" cannot read text"));
}

absl::StatusOr<std::unique_ptr<Encoder>> Encoder::Create(
    const EncoderOptions& options) {
  const EncoderKind* kind = FindEncoderKind(options.kind);
  if (kind == nullptr) {
    return Table().UnknownError("encoder.kind", options.kind);
  }
  RETURN_IF_ERROR(kind->validate(options));
  return kind->create(options);
}

}  // namespace soundsearch
