#include "soundsearch/sequence_distance.h"

#include <algorithm>
#include <vector>

namespace soundsearch {

double NormalisedEditDistance(absl::Span<const std::string> a,
                              absl::Span<const std::string> b) {
  if (a.empty() || b.empty()) return 1.0;
  if (a.size() < b.size()) std::swap(a, b);  // b is the shorter
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return static_cast<double>(row[b.size()]) / static_cast<double>(a.size());
}

double PhoneRerankScore(double index_score, double weight,
                        absl::Span<const std::string> query,
                        absl::Span<const std::string> hit) {
  return (1.0 - weight) * index_score +
         weight * (1.0 - NormalisedEditDistance(query, hit));
}

}  // namespace soundsearch
