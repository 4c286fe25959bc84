// Rank statistics for word-relatedness evaluation: average ranks, Spearman's
// rho, and the Fisher-transform mean of several correlations.
#ifndef SOUNDSEARCH_RESEARCH_RANK_CORRELATION_H_
#define SOUNDSEARCH_RESEARCH_RANK_CORRELATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace soundsearch {

// 1-based ranks of `values` in increasing order; tied values all get the
// mean of the ranks they span ({10, 20, 20, 30} -> {1, 2.5, 2.5, 4}).
// NaN values are not allowed (their rank is unspecified).
std::vector<double> AverageRanks(absl::Span<const double> values);

// Spearman's rank correlation: Pearson's r of the average ranks of x and y,
// in [-1, 1]. InvalidArgument if the sizes differ, there are fewer than 2
// values, or a value is not finite; FailedPrecondition if x or y is
// constant (the correlation is undefined).
absl::StatusOr<double> SpearmanCorrelation(absl::Span<const double> x,
                                           absl::Span<const double> y);

// Fisher-transform mean tanh(mean(atanh(r_i))). Each r_i is clamped to
// [-1 + 1e-12, 1 - 1e-12] first so that a perfect fold keeps the mean
// finite. InvalidArgument if empty or a value is outside [-1, 1] or NaN.
absl::StatusOr<double> FisherMean(absl::Span<const double> correlations);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_RANK_CORRELATION_H_
