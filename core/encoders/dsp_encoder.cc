// PLACEHOLDER: replaced by the real Dsp encoder in the embedding-pipeline work.
#include "encoders/encoder_factories.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<Encoder>> CreateDspEncoder(
    const EncoderOptions&) {
  return absl::UnimplementedError("Dsp encoder is not built yet");
}

}  // namespace soundsearch
