// v1 wire messages -> core types: every request field the services read
// into a core value is read here (the other direction: rpc/to_proto.h).
// Range checks against server limits stay in the handlers.
#ifndef SOUNDSEARCH_RPC_FROM_PROTO_H_
#define SOUNDSEARCH_RPC_FROM_PROTO_H_

#include "absl/status/statusor.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/v1/common.pb.h"
#include "soundsearch/v1/evaluation.pb.h"
#include "soundsearch/v1/ingest.pb.h"
#include "soundsearch/v1/query.pb.h"

namespace soundsearch {

// Every clause; times from Unix milliseconds to microseconds.
SoundFilter FromProto(const v1::Filter& filter);
ExampleStrategy FromProto(v1::ExampleStrategy strategy);  // unknown: average
GroupBy FromProto(v1::GroupBy group_by);                  // unknown: none
SoundInput FromProto(const v1::SoundFields& fields);
// The fields, with source = filename, or "upload" when it is empty.
SoundInput FromProto(const v1::AddSoundRequest& request);
SoundInput FromProto(const v1::AddSoundHeader& header);
// k (0 means 15), space, include_query, filter, min_score, group_by; the
// examples, offset and page token are read by the handler.
QueryOptions FromProto(const v1::QueryByExampleRequest& request);
// k (0 means 15), space, filter, min_score, group_by, class_space, sources,
// class_match, max_classes; offset and page token by the handler.
TextQueryOptions FromProto(const v1::QueryByTextRequest& request);
// space, class_space, words and classes (0 means 10 each).
DescribeOptions FromProto(const v1::DescribeSoundRequest& request);
// The mode; space = request.space() (empty: the handler picks). The
// families and excluded-labels files are read by the handler (import roots).
EvaluationRequest FromProto(const v1::EvaluateRequest& request);

// Resolves a SoundRef to a stored sound. InvalidArgument when unset or an
// empty external id; NotFound as SoundCollection::Get.
absl::StatusOr<SoundRecord> ResolveSound(const SoundCollection& collection,
                                         const v1::SoundRef& ref);

// An example as the collection takes it: audio (borrowed from the message,
// which must outlive the result), an id, or an external id resolved to its
// sound's id. InvalidArgument when unset or empty (audio, external id);
// NotFound as GetByExternalId. `what` names the field in messages.
absl::StatusOr<QueryExample> ResolveExample(const SoundCollection& collection,
                                            const v1::QueryExample& example,
                                            absl::string_view what);
// The same for the `example` oneof of these requests.
absl::StatusOr<QueryExample> ResolveExample(
    const SoundCollection& collection,
    const v1::QueryByExampleRequest& request);
absl::StatusOr<QueryExample> ResolveExample(
    const SoundCollection& collection, const v1::DescribeSoundRequest& request);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_FROM_PROTO_H_
