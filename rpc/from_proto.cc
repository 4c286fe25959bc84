#include "rpc/from_proto.h"

#include "absl/strings/str_cat.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {
namespace {

constexpr int kDefaultK = 15;
constexpr int kDefaultDescribe = 10;

// One example given as (audio | id | external id), whichever is set.
absl::StatusOr<QueryExample> Example(const SoundCollection& collection,
                                     bool has_audio, const std::string& audio,
                                     bool has_id, uint64_t id,
                                     bool has_external_id,
                                     const std::string& external_id,
                                     absl::string_view what) {
  if (has_audio) {
    if (audio.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": audio example is empty (0 bytes)"));
    }
    return QueryExample{0, audio};
  }
  if (has_id) return QueryExample{id, {}};
  if (has_external_id) {
    if (external_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": external_id is empty"));
    }
    ASSIGN_OR_RETURN(SoundRecord record,
                     collection.GetByExternalId(external_id));
    return QueryExample{record.id, {}};
  }
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": set one of audio, id or external_id"));
}

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
  if (filter.has_min_duration_seconds()) {
    out.min_duration_seconds = filter.min_duration_seconds();
  }
  if (filter.has_max_duration_seconds()) {
    out.max_duration_seconds = filter.max_duration_seconds();
  }
  if (filter.has_added_after_unix_ms()) {
    out.added_after_unix_micros = filter.added_after_unix_ms() * 1000;
  }
  if (filter.has_added_before_unix_ms()) {
    out.added_before_unix_micros = filter.added_before_unix_ms() * 1000;
  }
  for (const v1::AutoTagAtLeast& t : filter.auto_tags_at_least()) {
    out.auto_tags_at_least.push_back({t.tag(), t.min_probability()});
  }
  return out;
}

ExampleStrategy FromProto(v1::ExampleStrategy strategy) {
  return strategy == v1::EXAMPLE_STRATEGY_BEST_SCORE
             ? ExampleStrategy::kBestScore
             : ExampleStrategy::kAverage;
}

GroupBy FromProto(v1::GroupBy group_by) {
  switch (group_by) {
    case v1::GROUP_BY_LABEL:
      return GroupBy::kLabel;
    case v1::GROUP_BY_TAG:
      return GroupBy::kTag;
    default:
      return GroupBy::kNone;
  }
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
  options.group_by = FromProto(request.group_by());
  options.exact = request.exact();
  return options;
}

TextQueryOptions FromProto(const v1::QueryByTextRequest& request) {
  TextQueryOptions options;
  QueryOptions& q = options.query;
  q.k = request.k() == 0 ? kDefaultK : static_cast<int>(request.k());
  q.space = request.space();
  q.filter = FromProto(request.filter());
  if (request.has_min_score()) q.min_score = request.min_score();
  q.group_by = FromProto(request.group_by());
  options.class_space = request.class_space();
  const v1::TextSources sources = request.sources();
  // One source when one is named; all of them otherwise (an unknown value
  // too, as before the speech source existed).
  options.use_words =
      sources != v1::TEXT_SOURCES_CLASSES && sources != v1::TEXT_SOURCES_SPEECH;
  options.use_classes =
      sources != v1::TEXT_SOURCES_WORDS && sources != v1::TEXT_SOURCES_SPEECH;
  options.use_speech =
      sources != v1::TEXT_SOURCES_WORDS && sources != v1::TEXT_SOURCES_CLASSES;
  if (request.class_match() == v1::CLASS_MATCH_NAMES) {
    options.class_match = ClassMatch::kNames;
  } else if (request.class_match() == v1::CLASS_MATCH_DOCUMENTS) {
    options.class_match = ClassMatch::kDocuments;
  }
  options.max_classes = static_cast<int>(request.max_classes());
  return options;
}

DescribeOptions FromProto(const v1::DescribeSoundRequest& request) {
  DescribeOptions options;
  options.space = request.space();
  options.class_space = request.class_space();
  options.words = request.words() == 0 ? kDefaultDescribe
                                       : static_cast<int>(request.words());
  options.classes = request.classes() == 0
                        ? kDefaultDescribe
                        : static_cast<int>(request.classes());
  return options;
}

EvaluationRequest FromProto(const v1::EvaluateRequest& request) {
  EvaluationRequest eval;
  eval.space = request.space();
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

absl::StatusOr<QueryExample> ResolveExample(const SoundCollection& collection,
                                            const v1::QueryExample& example,
                                            absl::string_view what) {
  using E = v1::QueryExample;
  const auto which = example.example_case();
  return Example(collection, which == E::kAudio, example.audio(),
                 which == E::kId, example.id(), which == E::kExternalId,
                 example.external_id(), what);
}

absl::StatusOr<QueryExample> ResolveExample(
    const SoundCollection& collection,
    const v1::QueryByExampleRequest& request) {
  using R = v1::QueryByExampleRequest;
  const auto which = request.example_case();
  return Example(collection, which == R::kAudio, request.audio(),
                 which == R::kId, request.id(), which == R::kExternalId,
                 request.external_id(), "example");
}

absl::StatusOr<QueryExample> ResolveExample(
    const SoundCollection& collection,
    const v1::DescribeSoundRequest& request) {
  using R = v1::DescribeSoundRequest;
  const auto which = request.example_case();
  return Example(collection, which == R::kAudio, request.audio(),
                 which == R::kId, request.id(), which == R::kExternalId,
                 request.external_id(), "example");
}

}  // namespace soundsearch
