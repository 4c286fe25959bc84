#include "neural/torch_runtime.h"

#include <torch/cuda.h>
#include <torch/version.h>

namespace soundsearch {

std::string TorchVersion() { return TORCH_VERSION; }

bool TorchCudaAvailable() { return torch::cuda::is_available(); }

}  // namespace soundsearch
