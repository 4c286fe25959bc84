// Retrieval scored across groups (speakers): for spoken content the question
// is whether a word said by one speaker finds the same word said by others,
// so a query's ranking holds only the items of other groups: the query's own
// group (its speaker's other takes) is left out of the ranking and of the
// relevant count (docs/quality.md, "Spoken words across speakers").
//
// Thread-safety: re-entrant; the functions only read their inputs.
#ifndef SOUNDSEARCH_RESEARCH_ACROSS_GROUPS_H_
#define SOUNDSEARCH_RESEARCH_ACROSS_GROUPS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/metric.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/retrieval_eval.h"
#include "soundsearch/retrieval_report.h"

namespace soundsearch {

// Ranking of one query over the items of other groups: fills *ranking with
// every index j whose group differs from the query's, each exactly once,
// best first.
using GroupRankingFn =
    std::function<absl::Status(int64_t query, std::vector<int64_t>* ranking)>;

// EvaluateRankings (retrieval_eval.h) with groups: groups[i] is item i's
// group (non-empty). For a query q, relevant = items of other groups that
// share the label; a (query, label) pair with no such item is left out;
// MAP@N and MR1 per label are the mean over its scored queries, macro the
// unweighted mean over labels with a scored query, micro over queries (a
// label shared). `rank` is called once per item in index order from the
// calling thread. InvalidArgument for a size mismatch, an empty group, or a
// ranking that is not a permutation of the other groups' items.
absl::StatusOr<RetrievalReport> EvaluateAcrossGroups(
    absl::Span<const LabeledItem> items, absl::Span<const std::string> groups,
    const GroupRankingFn& rank,
    const RetrievalEvalOptions& options = RetrievalEvalOptions());

// Re-ranking of a ranking's head by a per-pair score, as the query path does
// (SpaceConfig::rerank): the first top_n entries of *ranking are re-scored
// with rescore(query, j, index_score) and stably re-sorted, best first; the
// rest keep their order behind them.
using RescoreFn =
    std::function<double(int64_t query, int64_t item, double index_score)>;

// The ranking of `query` over the other groups' items by `metric` on
// `vectors` (n x dim; ties by lower index), its first top_n re-scored by
// `rescore` when it is set (top_n <= 0: none).
//
// With `expand` enabled the query is expanded first as the running
// collection's `expand` does (docs/config.md): its vector is replaced by the
// NeighbourhoodMean of itself and its `expand.neighbours` nearest items of
// the whole collection but itself (its own group's items included: a server
// holds the speaker's other takes too; ties by lower index), each weighted
// by NeighbourWeight(score, alpha), those of weight 0 left out; for a cosine
// metric the mean is L2-normalised, as the index normalises a query. The
// other groups' items are then ranked by that vector (and re-scored as
// above). InvalidArgument for bad sizes or bad `expand` options.
absl::StatusOr<std::vector<int64_t>> RankAcrossGroups(
    absl::Span<const float> vectors, int dim, Metric metric,
    absl::Span<const std::string> groups, int64_t query, int top_n,
    const RescoreFn& rescore,
    const NeighbourhoodOptions& expand = NeighbourhoodOptions());

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_ACROSS_GROUPS_H_
