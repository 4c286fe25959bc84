// Per-query retrieval metrics: AP@N and R1 over one ranking. The definitions
// are those of docs/evaluation.md (DESIGN.md, "Evaluation, per query").
#ifndef SOUNDSEARCH_RETRIEVAL_METRICS_H_
#define SOUNDSEARCH_RETRIEVAL_METRICS_H_

#include <cstdint>
#include <optional>

#include "absl/types/span.h"

namespace soundsearch {

// Average precision at cut-off n of one ranking.
//
// relevance: relevance[k] != 0 when the result at 0-based rank k is relevant;
//   the query itself is not in the ranking. Entries past n are ignored; fewer
//   than n entries mean a shorter ranking (a small collection).
// num_relevant: the AP denominator's relevant count, normally the number of
//   relevant items in the collection other than the query (the caller adds
//   one for the reference-compatible mode).
//
// Returns (sum over ranks k < n holding a relevant item of precision@(k+1)) /
// min(n, num_relevant). Returns 0 when n <= 0 or num_relevant <= 0: callers
// leave such queries out instead of averaging a 0 (see RetrievalEvaluator).
double AveragePrecisionAtN(absl::Span<const uint8_t> relevance, int n,
                           int64_t num_relevant);

// 0-based rank of the first relevant entry of a full ranking (query left
// out), or nullopt when no entry is relevant.
std::optional<int64_t> FirstRelevantRank(absl::Span<const uint8_t> relevance);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RETRIEVAL_METRICS_H_
