// The kinds soundsearch_speech brings, as entries of core's kind tables.
// Private to soundsearch_speech; RegisterSpeechKinds registers them.
#ifndef SOUNDSEARCH_CORE_SPEECH_SPEECH_KIND_ENTRIES_H_
#define SOUNDSEARCH_CORE_SPEECH_SPEECH_KIND_ENTRIES_H_

#include "soundsearch/encoder_kinds.h"

namespace soundsearch {

EncoderKind SpeechEncoderKind();  // speech/speech_encoder.cc

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_SPEECH_SPEECH_KIND_ENTRIES_H_
