// Per-kind constructors behind Encoder::Create. Private to core.
#ifndef SOUNDSEARCH_CORE_ENCODERS_ENCODER_FACTORIES_H_
#define SOUNDSEARCH_CORE_ENCODERS_ENCODER_FACTORIES_H_

#include <memory>

#include "absl/status/statusor.h"
#include "soundsearch/encoder.h"

namespace soundsearch {

// encoders/dsp_encoder.cc
absl::StatusOr<std::unique_ptr<Encoder>> CreateDspEncoder(
    const EncoderOptions& options);
// encoders/mfcc_encoder.cc
absl::StatusOr<std::unique_ptr<Encoder>> CreateMfccEncoder(
    const EncoderOptions& options);
// neural/torchscript_encoder.cc (the only encoder that sees libtorch headers)
absl::StatusOr<std::unique_ptr<Encoder>> CreateTorchScriptEncoder(
    const EncoderOptions& options);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_ENCODERS_ENCODER_FACTORIES_H_
