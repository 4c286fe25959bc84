// PLACEHOLDER: replaced by the real Mfcc encoder in the embedding-pipeline work.
#include "encoders/encoder_factories.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<Encoder>> CreateMfccEncoder(
    const EncoderOptions&) {
  return absl::UnimplementedError("Mfcc encoder is not built yet");
}

}  // namespace soundsearch
