#include "features/temporal_descriptors.h"

#include <cmath>

#include "features/lane_sum.h"

namespace soundsearch {

float ZeroCrossingRate(absl::Span<const float> frame) {
  if (frame.size() < 2) return 0.0f;
  // Each pair compared on its own (no carried state), so the loop
  // vectorises.
  const float* x = frame.data();  // unchecked, unlike Span's operator[]
  int crossings = 0;
  for (size_t i = 1; i < frame.size(); ++i) {
    crossings += (x[i] >= 0.0f) != (x[i - 1] >= 0.0f);
  }
  return static_cast<float>(crossings) / static_cast<float>(frame.size() - 1);
}

float Rms(absl::Span<const float> frame) {
  if (frame.empty()) return 0.0f;
  const float* x = frame.data();
  const double sum = LaneSum(static_cast<int>(frame.size()), [&](int i) {
    return static_cast<double>(x[i]) * x[i];
  });
  return static_cast<float>(std::sqrt(sum / frame.size()));
}

}  // namespace soundsearch
