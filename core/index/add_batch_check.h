// The checks every VectorIndex kind applies to an Add batch before touching
// its storage. Private to core (core/index and core/neural).
#ifndef SOUNDSEARCH_INDEX_ADD_BATCH_CHECK_H_
#define SOUNDSEARCH_INDEX_ADD_BATCH_CHECK_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace soundsearch {

// InvalidArgument unless vectors.size() == ids.size() * dim, every id is
// >= 0 and no id appears twice. Values are checked by each kind (metric
// rules differ).
absl::Status CheckAddBatch(absl::Span<const int64_t> ids,
                           absl::Span<const float> vectors, int dim);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEX_ADD_BATCH_CHECK_H_
