// soundsearch_torch: the libtorch half of soundsearch, kept out of core so
// that only the programs that run neural models link libtorch (soundsearchd,
// soundsearch-eval, the torch tests and benchmarks).
#ifndef SOUNDSEARCH_TORCH_KINDS_H_
#define SOUNDSEARCH_TORCH_KINDS_H_

#include "absl/status/status.h"

namespace soundsearch {

// Registers what libtorch brings in core's tables: the encoder kind
// "torchscript" (soundsearch/encoder_kinds.h), the index kind "torch_flat"
// (soundsearch/index_kinds.h) and the "libtorch" entry of
// DependencyVersions() (soundsearch/build_info.h). Call it once at start-up,
// before any space config is validated. Idempotent and thread-safe: later
// calls return the first call's status.
absl::Status RegisterTorchKinds();

// True when libtorch was built with CUDA and sees a device.
bool TorchCudaAvailable();

}  // namespace soundsearch

#endif  // SOUNDSEARCH_TORCH_KINDS_H_
