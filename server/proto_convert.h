// Conversions between core types and the v1 wire messages.
#ifndef SOUNDSEARCH_SERVER_PROTO_CONVERT_H_
#define SOUNDSEARCH_SERVER_PROTO_CONVERT_H_

#include "soundsearch/audio_decoder.h"
#include "soundsearch/sound_collection.h"
#include "soundsearch/sound_record.h"
#include "soundsearch/v1/common.pb.h"
#include "soundsearch/v1/query.pb.h"

namespace soundsearch {

void ToProto(const SoundRecord& record, v1::Sound* out);
void ToProto(const DecodedAudio& audio, v1::AudioInfo* out);
void ToProto(const SpaceStatus& space, v1::SpaceInfo* out);
SoundFilter FromProto(const v1::Filter& filter);
SoundInput FromProto(const v1::SoundFields& fields);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SERVER_PROTO_CONVERT_H_
