#include "soundsearch/torch_kinds.h"

#include <torch/cuda.h>
#include <torch/version.h>

#include "neural/torch_kind_entries.h"
#include "soundsearch/build_info.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::Status RegisterTorchKinds() {
  static const absl::Status* const status = [] {
    auto run = []() -> absl::Status {
      RETURN_IF_ERROR(RegisterEncoderKind(TorchScriptEncoderKind()));
      RETURN_IF_ERROR(RegisterIndexKind(TorchFlatIndexKind()));
      RegisterDependencyVersion("libtorch", TORCH_VERSION);
      return absl::OkStatus();
    };
    return new absl::Status(run());
  }();
  return *status;
}

bool TorchCudaAvailable() { return torch::cuda::is_available(); }

}  // namespace soundsearch
