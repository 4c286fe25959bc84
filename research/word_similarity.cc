#include "research/word_similarity.h"

#include <cmath>
#include <vector>

#include "research/rank_correlation.h"
#include "research/word_lookup_cache.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

WordVectorLookup LookupIn(const WordVectors& table) {
  return [&table](absl::string_view word) { return table.Find(word); };
}

double CosineSimilarity(absl::Span<const float> a, absl::Span<const float> b) {
  const size_t n = std::min(a.size(), b.size());
  double dot = 0.0, aa = 0.0, bb = 0.0;
  for (size_t k = 0; k < n; ++k) {
    dot += double{a[k]} * b[k];
    aa += double{a[k]} * a[k];
    bb += double{b[k]} * b[k];
  }
  if (aa == 0.0 || bb == 0.0) return 0.0;
  return dot / std::sqrt(aa * bb);
}

absl::StatusOr<WordSimilarityResult> EvaluateWordSimilarity(
    absl::Span<const WordPair> pairs, const WordVectorLookup& lookup) {
  if (!lookup) return absl::InvalidArgumentError("no word vector lookup");
  WordLookupCache cache(&lookup);
  std::vector<double> human, model;
  for (const WordPair& pair : pairs) {
    ASSIGN_OR_RETURN(const std::vector<float>* a, cache.Get(pair.first));
    ASSIGN_OR_RETURN(const std::vector<float>* b, cache.Get(pair.second));
    if (a == nullptr || b == nullptr) continue;
    human.push_back(pair.score);
    model.push_back(UnitDot(*a, *b));
  }
  WordSimilarityResult result;
  result.num_pairs = static_cast<int64_t>(pairs.size());
  result.num_covered = static_cast<int64_t>(human.size());
  result.coverage = pairs.empty() ? 0.0
                                  : static_cast<double>(result.num_covered) /
                                        static_cast<double>(result.num_pairs);
  absl::StatusOr<double> rho = SpearmanCorrelation(human, model);
  if (rho.ok()) result.spearman = *rho;
  return result;
}

}  // namespace soundsearch
