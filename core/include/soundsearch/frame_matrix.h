// FrameMatrix: a row-major matrix of per-frame vectors (frames x dim), the
// common currency between encoders, pooling and the BoAW quantiser.
#ifndef SOUNDSEARCH_FRAME_MATRIX_H_
#define SOUNDSEARCH_FRAME_MATRIX_H_

#include <cstddef>
#include <vector>

#include "absl/types/span.h"

namespace soundsearch {

// Value type; not synchronised (treat like std::vector).
struct FrameMatrix {
  int dim = 0;              // values per frame, > 0 once filled
  std::vector<float> data;  // size() == num_frames() * dim

  FrameMatrix() = default;
  FrameMatrix(int num_frames, int dim)
      : dim(dim), data(static_cast<size_t>(num_frames) * dim, 0.0f) {}

  int num_frames() const {
    return dim == 0 ? 0 : static_cast<int>(data.size() / dim);
  }
  absl::Span<float> row(int i) {
    return absl::MakeSpan(data.data() + static_cast<size_t>(i) * dim, dim);
  }
  absl::Span<const float> row(int i) const {
    return absl::MakeConstSpan(data.data() + static_cast<size_t>(i) * dim, dim);
  }
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_FRAME_MATRIX_H_
