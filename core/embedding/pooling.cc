#include "soundsearch/pooling.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace soundsearch {

int PooledDim(Pooling pooling, int frame_dim) {
  return pooling == Pooling::kMeanStd ? 2 * frame_dim : frame_dim;
}

absl::StatusOr<std::vector<float>> Pool(const FrameMatrix& frames,
                                        Pooling pooling) {
  const int dim = frames.dim;
  const int n = frames.num_frames();
  if (dim <= 0 || n <= 0 ||
      frames.data.size() != static_cast<size_t>(n) * dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("pooling: need at least one frame of dim > 0, got ", n,
                     " x ", dim, " (", frames.data.size(), " values)"));
  }
  for (float v : frames.data) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError("pooling: non-finite frame value");
    }
  }
  std::vector<float> out(PooledDim(pooling, dim));
  switch (pooling) {
    case Pooling::kMean:
    case Pooling::kMeanStd: {
      std::vector<double> sum(dim, 0.0);
      for (int i = 0; i < n; ++i) {
        auto row = frames.row(i);
        for (int d = 0; d < dim; ++d) sum[d] += row[d];
      }
      std::vector<double> mean(dim);
      for (int d = 0; d < dim; ++d) mean[d] = sum[d] / n;
      for (int d = 0; d < dim; ++d) out[d] = static_cast<float>(mean[d]);
      if (pooling == Pooling::kMeanStd) {
        // Two passes (mean first) to avoid cancellation.
        std::vector<double> sq(dim, 0.0);
        for (int i = 0; i < n; ++i) {
          auto row = frames.row(i);
          for (int d = 0; d < dim; ++d) {
            const double c = row[d] - mean[d];
            sq[d] += c * c;
          }
        }
        for (int d = 0; d < dim; ++d) {
          out[dim + d] = static_cast<float>(std::sqrt(sq[d] / n));
        }
      }
      break;
    }
    case Pooling::kMax: {
      for (int d = 0; d < dim; ++d) out[d] = frames.row(0)[d];
      for (int i = 1; i < n; ++i) {
        auto row = frames.row(i);
        for (int d = 0; d < dim; ++d) out[d] = std::max(out[d], row[d]);
      }
      break;
    }
    case Pooling::kMedian: {
      std::vector<float> column(n);
      for (int d = 0; d < dim; ++d) {
        for (int i = 0; i < n; ++i) column[i] = frames.row(i)[d];
        const int mid = n / 2;
        std::nth_element(column.begin(), column.begin() + mid, column.end());
        double median = column[mid];
        if (n % 2 == 0) {
          // The lower middle value is the largest of the lower half.
          const float lower =
              *std::max_element(column.begin(), column.begin() + mid);
          median = (static_cast<double>(lower) + median) / 2.0;
        }
        out[d] = static_cast<float>(median);
      }
      break;
    }
  }
  return out;
}

}  // namespace soundsearch
