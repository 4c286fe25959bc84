#include "features/deltas.h"

#include <algorithm>

namespace soundsearch {

void WriteDeltas(const FrameMatrix& in, int width, FrameMatrix& out,
                 int out_offset) {
  const int frames = in.num_frames();
  const int dim = in.dim;
  float denom = 0.0f;
  for (int n = 1; n <= width; ++n) denom += 2.0f * n * n;
  for (int t = 0; t < frames; ++t) {
    // Raw pointers: absl::Span's operator[] checks bounds.
    float* dst = out.row(t).subspan(out_offset, dim).data();
    std::fill(dst, dst + dim, 0.0f);
    for (int n = 1; n <= width; ++n) {
      const float* next = in.row(std::min(t + n, frames - 1)).data();
      const float* prev = in.row(std::max(t - n, 0)).data();
      for (int d = 0; d < dim; ++d) dst[d] += n * (next[d] - prev[d]);
    }
    for (int d = 0; d < dim; ++d) dst[d] /= denom;
  }
}

}  // namespace soundsearch
