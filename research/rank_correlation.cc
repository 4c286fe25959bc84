#include "research/rank_correlation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace soundsearch {

std::vector<double> AverageRanks(absl::Span<const double> values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    // Positions i..j-1 (0-based) hold ranks i+1..j: their mean.
    const double rank =
        (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) ranks[order[k]] = rank;
    i = j;
  }
  return ranks;
}

absl::StatusOr<double> SpearmanCorrelation(absl::Span<const double> x,
                                           absl::Span<const double> y) {
  if (x.size() != y.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Spearman: ", x.size(), " x values but ", y.size(), " y values"));
  }
  if (x.size() < 2) {
    return absl::InvalidArgumentError("Spearman: needs at least 2 pairs");
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("Spearman: non-finite value at ", i));
    }
  }
  const std::vector<double> rx = AverageRanks(x);
  const std::vector<double> ry = AverageRanks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1.0) / 2.0;  // mean of any average ranking
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (size_t i = 0; i < rx.size(); ++i) {
    const double dx = rx[i] - mean, dy = ry[i] - mean;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0.0 || syy == 0.0) {
    return absl::FailedPreconditionError(
        "Spearman: a variable is constant; the correlation is undefined");
  }
  return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

absl::StatusOr<double> FisherMean(absl::Span<const double> correlations) {
  if (correlations.empty()) {
    return absl::InvalidArgumentError("Fisher mean of no correlations");
  }
  constexpr double kLimit = 1.0 - 1e-12;
  double sum = 0.0;
  for (double r : correlations) {
    if (!(r >= -1.0 && r <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Fisher mean: ", r, " is not a correlation"));
    }
    sum += std::atanh(std::clamp(r, -kLimit, kLimit));
  }
  return std::tanh(sum / static_cast<double>(correlations.size()));
}

}  // namespace soundsearch
