// Pooling: frame-level vectors (FrameMatrix, rows = frames) -> one clip
// vector. Public so that research/ (frame recipes) pools as a Space does.
// Pure functions; thread-safe.
#ifndef SOUNDSEARCH_POOLING_H_
#define SOUNDSEARCH_POOLING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "soundsearch/frame_matrix.h"
#include "soundsearch/space_config.h"

namespace soundsearch {

// Length of the pooled vector for frames of `frame_dim` values: frame_dim,
// or 2 * frame_dim for kMeanStd.
int PooledDim(Pooling pooling, int frame_dim);

// Pools `frames` over time (accumulating in double):
//   kMean    per-dimension mean;
//   kMedian  per-dimension median (mean of the two middle values when the
//            number of frames is even);
//   kMax     per-dimension maximum;
//   kMeanStd [means..., standard deviations...], std with 1/n (population),
//            0 for a single frame.
// InvalidArgument if frames has no rows or dim <= 0, or holds a non-finite
// value.
absl::StatusOr<std::vector<float>> Pool(const FrameMatrix& frames,
                                        Pooling pooling);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_POOLING_H_
