// Core types -> v1 wire messages: every response field the services fill
// from a core value is set here (the other direction: rpc/from_proto.h).
#ifndef SOUNDSEARCH_RPC_TO_PROTO_H_
#define SOUNDSEARCH_RPC_TO_PROTO_H_

#include <map>
#include <string>
#include <vector>

#include "soundsearch/audio_decoder.h"
#include "soundsearch/collection_words.h"
#include "soundsearch/job_status.h"
#include "soundsearch/retrieval_report.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/v1/common.pb.h"
#include "soundsearch/v1/evaluation.pb.h"
#include "soundsearch/v1/ingest.pb.h"
#include "soundsearch/v1/query.pb.h"

namespace soundsearch {

// --- common ---
void ToProto(const SoundRecord& record, v1::Sound* out);
void ToProto(const DecodedAudio& audio, v1::AudioInfo* out);
void ToProto(const SpaceStatus& space, v1::SpaceInfo* out);

// --- Meta ---
// A build's version and its libraries' versions (name -> version).
void ToProto(const std::string& version,
             const std::map<std::string, std::string>& dependencies,
             v1::ServerInfo* out);

// --- Query ---
// The result's space and collection size; hits are added one by one.
void ToProto(const QueryResult& result, v1::QueryByExampleResponse* out);
// One hit with its stored sound and per-source scores.
void ToProto(const QueryHit& hit, const SoundRecord& record,
             v1::ScoredSound* out);
// A text query's space, class space, matched words and classes, unmatched
// words and collection size; hits are added one by one.
void ToProto(const TextQueryResult& result, v1::QueryByTextResponse* out);
// The words, classes and auto-tags (the sound itself is set by the handler).
void ToProto(const SoundDescription& description,
             v1::DescribeSoundResponse* out);
// Every space and the default one.
void ToProto(const std::vector<SpaceStatus>& spaces,
             const std::string& default_space, v1::ListSpacesResponse* out);
// The collection's part of Stats: sounds, total duration, spaces.
void ToProto(const SoundCollection& collection, v1::StatsResponse* out);

// --- Ingest ---
// An accepted upload: `record` as stored (the existing sound for a
// duplicate), `audio` what the decoder found (left out for a duplicate).
void ToProto(const CommitResult& result, const SoundRecord& record,
             const DecodedAudio& audio, v1::AddSoundResponse* out);
// Failure codes as gRPC code names ("NOT_FOUND").
void ToProto(const JobStatus& job, v1::Job* out);
void ToProto(const RefitResult& result, v1::RefitResponse* out);

// --- Evaluation ---
void ToProto(const RetrievalScores& scores, v1::RetrievalScores* out);
// A fresh evaluation with its full report; `seconds` it took.
void ToProto(const SpaceEvaluation& evaluation, double seconds,
             v1::SpaceEvaluation* out);
// A stored evaluation (SoundCollection::LastEvaluation: no report, only its
// JSON): time, label-based scores, reference mode, report JSON.
void StoredEvaluationToProto(const SpaceEvaluation& stored,
                             v1::SpaceEvaluation* out);
void ToProto(const WordPairCosine& pair, v1::WordSimilarityResponse* out);
// `word` with its nearest words.
void ToProto(const WordVectorInfo& word,
             const std::vector<WordNeighbour>& neighbours,
             v1::NearestWordsResponse* out);
// `info`'s vector under the name the client asked for, `requested`.
void ToProto(const std::string& requested, const WordVectorInfo& info,
             v1::WordVector* out);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RPC_TO_PROTO_H_
