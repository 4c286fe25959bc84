// PLACEHOLDER: replaced by the real TorchScript encoder in the embedding-pipeline work.
#include "encoders/encoder_factories.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<Encoder>> CreateTorchScriptEncoder(
    const EncoderOptions&) {
  return absl::UnimplementedError("TorchScript encoder is not built yet");
}

}  // namespace soundsearch
