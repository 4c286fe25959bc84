// Facts about the linked libtorch, callable without libtorch headers.
#ifndef SOUNDSEARCH_CORE_NEURAL_TORCH_RUNTIME_H_
#define SOUNDSEARCH_CORE_NEURAL_TORCH_RUNTIME_H_

#include <string>

namespace soundsearch {

// libtorch version, e.g. "1.13.1".
std::string TorchVersion();

// True when libtorch was built with CUDA and a device is visible.
bool TorchCudaAvailable();

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_NEURAL_TORCH_RUNTIME_H_
