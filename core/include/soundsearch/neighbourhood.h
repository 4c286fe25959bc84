// Neighbourhood expansion (docs/config.md, "expand" and "augment"): a vector
// is replaced by the weighted mean of itself and its nearest neighbours,
// each neighbour weighted by max(similarity, 0)^alpha and the vector itself
// by 1. Query expansion applies it to a query vector (then searches again);
// database-side augmentation to the index vectors. The same arithmetic serves
// the running collection and the offline evaluation (research/).
//
// Thread-safety: plain functions and data.
#ifndef SOUNDSEARCH_NEIGHBOURHOOD_H_
#define SOUNDSEARCH_NEIGHBOURHOOD_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace soundsearch {

struct NeighbourhoodOptions {
  // Nearest neighbours averaged in; 0 = off. At most kMaxNeighbours.
  int neighbours = 0;
  // Exponent of the neighbour weight max(similarity, 0)^alpha; in [0, 100].
  float alpha = 3.0f;

  static constexpr int kMaxNeighbours = 100;
  bool enabled() const { return neighbours > 0; }
  bool operator==(const NeighbourhoodOptions& o) const {
    return neighbours == o.neighbours && alpha == o.alpha;
  }
};

// InvalidArgument naming `what` (e.g. "expand") for neighbours outside
// [0, kMaxNeighbours] or alpha outside [0, 100] or not finite.
absl::Status ValidateNeighbourhood(const NeighbourhoodOptions& options,
                                   absl::string_view what);

// "3 neighbours, alpha 3" or "off".
std::string NeighbourhoodText(const NeighbourhoodOptions& options);

// max(similarity, 0)^alpha (0^0 = 1 is not reached: a similarity <= 0
// weighs 0).
float NeighbourWeight(float similarity, float alpha);

// out = (self + sum_i weights[i] * rows[i]) / (1 + sum_i weights[i]), every
// row of self.size() floats; out may alias self. Sizes must agree (checked
// by the caller).
void NeighbourhoodMean(absl::Span<const float> self,
                       absl::Span<const float* const> rows,
                       absl::Span<const float> weights, absl::Span<float> out);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_NEIGHBOURHOOD_H_
