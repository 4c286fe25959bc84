#include "soundsearch/retrieval_metrics.h"

#include <algorithm>

namespace soundsearch {

double AveragePrecisionAtN(absl::Span<const uint8_t> relevance, int n,
                           int64_t num_relevant) {
  if (n <= 0 || num_relevant <= 0) return 0.0;
  const int64_t depth = std::min<int64_t>(n, relevance.size());
  double sum = 0.0;
  int64_t hits = 0;
  for (int64_t k = 0; k < depth; ++k) {
    if (relevance[k] == 0) continue;
    ++hits;
    sum += static_cast<double>(hits) / static_cast<double>(k + 1);
  }
  return sum / static_cast<double>(std::min<int64_t>(n, num_relevant));
}

std::optional<int64_t> FirstRelevantRank(absl::Span<const uint8_t> relevance) {
  for (size_t k = 0; k < relevance.size(); ++k) {
    if (relevance[k] != 0) return static_cast<int64_t>(k);
  }
  return std::nullopt;
}

}  // namespace soundsearch
