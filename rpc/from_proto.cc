#include "rpc/from_proto.h"

namespace soundsearch {
namespace {

constexpr int kDefaultK = 15;

SoundInput UploadInput(const v1::SoundFields& fields,
                       const std::string& filename) {
  SoundInput input = FromProto(fields);
  input.source = filename.empty() ? "upload" : filename;
  return input;
}

}  // namespace

SoundFilter FromProto(const v1::Filter& filter) {
  SoundFilter out;
  out.tags_any.assign(filter.tags_any().begin(), filter.tags_any().end());
  out.tags_all.assign(filter.tags_all().begin(), filter.tags_all().end());
  out.tags_none.assign(filter.tags_none().begin(), filter.tags_none().end());
  out.labels_any.assign(filter.labels_any().begin(), filter.labels_any().end());
  out.labels_all.assign(filter.labels_all().begin(), filter.labels_all().end());
  return out;
}

SoundInput FromProto(const v1::SoundFields& fields) {
  SoundInput out;
  out.external_id = fields.external_id();
  out.name = fields.name();
  out.tags.assign(fields.tags().begin(), fields.tags().end());
  out.labels.assign(fields.labels().begin(), fields.labels().end());
  return out;
}

SoundInput FromProto(const v1::AddSoundRequest& request) {
  return UploadInput(request.fields(), request.filename());
}

SoundInput FromProto(const v1::AddSoundHeader& header) {
  return UploadInput(header.fields(), header.filename());
}

QueryOptions FromProto(const v1::QueryByExampleRequest& request) {
  QueryOptions options;
  options.k = request.k() == 0 ? kDefaultK : static_cast<int>(request.k());
  options.space = request.space();
  options.include_query = request.include_query();
  options.filter = FromProto(request.filter());
  if (request.has_min_score()) options.min_score = request.min_score();
  options.exact = request.exact();
  return options;
}

EvaluationRequest FromProto(const v1::EvaluateRequest& request) {
  EvaluationRequest eval;
  eval.space = request.space();
  eval.families_path = request.families_path();
  eval.excluded_labels_path = request.excluded_labels_path();
  eval.reference_mode = request.reference_mode();
  return eval;
}

absl::StatusOr<SoundRecord> ResolveSound(const SoundCollection& collection,
                                         const v1::SoundRef& ref) {
  switch (ref.ref_case()) {
    case v1::SoundRef::kId:
      return collection.Get(ref.id());
    case v1::SoundRef::kExternalId:
      if (ref.external_id().empty()) {
        return absl::InvalidArgumentError("external_id is empty");
      }
      return collection.GetByExternalId(ref.external_id());
    default:
      return absl::InvalidArgumentError("sound: set either id or external_id");
  }
}

}  // namespace soundsearch
