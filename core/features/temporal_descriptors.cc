#include "features/temporal_descriptors.h"

#include <cmath>

namespace soundsearch {

float ZeroCrossingRate(absl::Span<const float> frame) {
  if (frame.size() < 2) return 0.0f;
  int crossings = 0;
  bool prev = frame[0] >= 0.0f;
  for (size_t i = 1; i < frame.size(); ++i) {
    const bool cur = frame[i] >= 0.0f;
    crossings += cur != prev;
    prev = cur;
  }
  return static_cast<float>(crossings) / static_cast<float>(frame.size() - 1);
}

float Rms(absl::Span<const float> frame) {
  if (frame.empty()) return 0.0f;
  double sum = 0.0;
  for (float v : frame) sum += static_cast<double>(v) * v;
  return static_cast<float>(std::sqrt(sum / frame.size()));
}

}  // namespace soundsearch
