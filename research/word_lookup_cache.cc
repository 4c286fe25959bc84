#include "research/word_lookup_cache.h"

#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::StatusOr<const std::vector<float>*> WordLookupCache::Get(
    absl::string_view word) {
  if (auto it = cache_.find(word); it != cache_.end()) return it->second.get();
  if (missing_.contains(word)) return nullptr;
  const std::optional<absl::Span<const float>> found = (*lookup_)(word);
  if (!found.has_value()) {
    missing_.emplace(std::string(word), true);
    return nullptr;
  }
  const int dim = static_cast<int>(found->size());
  if (dim_ >= 0 && dim != dim_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vector of \"", word, "\" has ", dim, " values, others have ", dim_));
  }
  dim_ = dim;
  auto unit =
      std::make_unique<std::vector<float>>(found->begin(), found->end());
  double sq = 0.0;
  for (float x : *unit) {
    if (!std::isfinite(x)) {
      return absl::InvalidArgumentError(
          absl::StrCat("vector of \"", word, "\" has a non-finite value"));
    }
    sq += double{x} * x;
  }
  if (sq > 0.0) {
    const double inv = 1.0 / std::sqrt(sq);
    for (float& x : *unit) x = static_cast<float>(x * inv);
  } else {
    unit->clear();  // zero vector
  }
  const std::vector<float>* result = unit.get();
  cache_.emplace(std::string(word), std::move(unit));
  return result;
}

double UnitDot(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || b.empty()) return 0.0;
  double dot = 0.0;
  for (size_t k = 0; k < a.size(); ++k) dot += double{a[k]} * b[k];
  return dot;
}

}  // namespace soundsearch
