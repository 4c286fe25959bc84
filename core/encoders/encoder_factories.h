// The encoder kinds core implements, as entries of the encoder kind table
// (soundsearch/encoder_kinds.h). Private to core.
#ifndef SOUNDSEARCH_CORE_ENCODERS_ENCODER_FACTORIES_H_
#define SOUNDSEARCH_CORE_ENCODERS_ENCODER_FACTORIES_H_

#include "soundsearch/encoder_kinds.h"

namespace soundsearch {

EncoderKind DspEncoderKind();   // encoders/dsp_encoder.cc
EncoderKind MfccEncoderKind();  // encoders/mfcc_encoder.cc

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_ENCODERS_ENCODER_FACTORIES_H_
