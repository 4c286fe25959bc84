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

SoundFilter FromProto(const v1::Filter& filter);
SoundInput FromProto(const v1::SoundFields& fields);
// The fields, with source = filename, or "upload" when it is empty.
SoundInput FromProto(const v1::AddSoundRequest& request);
SoundInput FromProto(const v1::AddSoundHeader& header);
// k (0 means 15), space, include_query, filter, min_score; the example is
// read by the handler.
QueryOptions FromProto(const v1::QueryByExampleRequest& request);
// The mode; space = request.space() (empty: the handler picks). The
// families and excluded-labels files are read by the handler (import roots).
EvaluationRequest FromProto(const v1::EvaluateRequest& request);

// Resolves a SoundRef to a stored sound. InvalidArgument when unset or an
// empty external id; NotFound as SoundCollection::Get.
absl::StatusOr<SoundRecord> ResolveSound(const SoundCollection& collection,
                                         const v1::SoundRef& ref);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_FROM_PROTO_H_
