#include "soundsearch/neighbourhood.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::Status ValidateNeighbourhood(const NeighbourhoodOptions& options,
                                   absl::string_view what) {
  if (options.neighbours < 0 ||
      options.neighbours > NeighbourhoodOptions::kMaxNeighbours) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ".neighbours must be in [0, ",
        NeighbourhoodOptions::kMaxNeighbours, "], got ", options.neighbours));
  }
  if (!std::isfinite(options.alpha) || options.alpha < 0.0f ||
      options.alpha > 100.0f) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".alpha must be in [0, 100], got ", options.alpha));
  }
  return absl::OkStatus();
}

std::string NeighbourhoodText(const NeighbourhoodOptions& options) {
  if (!options.enabled()) return "off";
  return absl::StrCat(options.neighbours, " neighbours, alpha ", options.alpha);
}

float NeighbourWeight(float similarity, float alpha) {
  if (!(similarity > 0.0f)) return 0.0f;
  return std::pow(similarity, alpha);
}

void NeighbourhoodMean(absl::Span<const float> self,
                       absl::Span<const float* const> rows,
                       absl::Span<const float> weights, absl::Span<float> out) {
  const size_t dim = self.size();
  std::vector<double> sum(self.begin(), self.end());
  double total = 1.0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const double w = weights[i];
    if (w == 0.0) continue;
    total += w;
    for (size_t d = 0; d < dim; ++d) sum[d] += w * rows[i][d];
  }
  for (size_t d = 0; d < dim; ++d) out[d] = static_cast<float>(sum[d] / total);
}

}  // namespace soundsearch
