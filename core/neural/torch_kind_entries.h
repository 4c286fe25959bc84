// The kinds soundsearch_torch brings, as entries of core's kind tables.
// Private to soundsearch_torch; RegisterTorchKinds (soundsearch/torch_kinds.h)
// registers them.
#ifndef SOUNDSEARCH_CORE_NEURAL_TORCH_KIND_ENTRIES_H_
#define SOUNDSEARCH_CORE_NEURAL_TORCH_KIND_ENTRIES_H_

#include "soundsearch/encoder_kinds.h"
#include "soundsearch/index_kinds.h"

namespace soundsearch {

EncoderKind TorchScriptEncoderKind();  // neural/torchscript_encoder.cc
IndexKind TorchFlatIndexKind();        // neural/torch_flat_index.cc

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_NEURAL_TORCH_KIND_ENTRIES_H_
