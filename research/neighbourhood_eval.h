// Offline evaluation of late fusion, query expansion and database-side
// augmentation (docs/quality.md, "Fusion, query expansion, augmentation";
// the running collection's versions are in docs/config.md). Over the
// projected vectors of one or more cosine spaces ("parts") of the same
// items:
//   fused score  s(q, x) = sum_p w_p cos(q_p, x_p)
//   augmentation: every database item x is replaced, in every part, by the
//     normalised NeighbourhoodMean of x_p and the x'_p of its `augment`
//     nearest database items under s (weights max(s, 0)^alpha), computed
//     from the raw vectors;
//   query expansion: the query's top `expand` results under s against the
//     (augmented) database give q'_p = NeighbourhoodMean(q_p, ...) in every
//     part, and q' is searched again.
// Two protocols: leave-one-out (every item queries all the others; under
// augmentation the database vectors were computed with the query among
// them, as a server that indexed the query would) and split (every
// `query_every`-th item of each label, by manifest order of its first
// label, is an uploaded query that is not in the database; the database is
// the rest, augmented among itself; the spaces should then be fitted on the
// database only). Scores: label-based (macro) and instance-based (micro)
// MAP@N and MR1 as EvaluateRetrieval defines them, with relevant = database
// items carrying the label.
//
// Thread-safety: the functions are re-entrant; they only read their inputs.
#ifndef SOUNDSEARCH_RESEARCH_NEIGHBOURHOOD_EVAL_H_
#define SOUNDSEARCH_RESEARCH_NEIGHBOURHOOD_EVAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "research/retrieval_sweep.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/retrieval_eval.h"
#include "soundsearch/retrieval_report.h"
#include "soundsearch/space.h"

namespace soundsearch {

// One space's projected vectors of all items (row-major, items x dim).
struct FusionPart {
  std::string name;
  std::vector<float> vectors;
  int dim = 0;
};

// One system of the grid.
struct NeighbourhoodSystem {
  std::string name;
  std::vector<float> weights;  // one per part, >= 0, not all 0
  NeighbourhoodOptions expand;
  NeighbourhoodOptions augment;
};

// The grid for these parts: each part alone; for two parts the late fusions
// with weights 0.3/0.7, 0.5/0.5, 0.7/0.3 of the first (for more, equal
// weights); on every part alone and every fusion query expansion with 1, 3,
// 5, 10 neighbours (alpha 3) and 3 (alpha 1), augmentation with 3, 5, 10
// (alpha 3) and 5 (alpha 1), and the combinations augment 5 + expand 3 and
// augment 10 + expand 5 (alpha 3).
std::vector<NeighbourhoodSystem> NeighbourhoodGrid(
    absl::Span<const std::string> part_names);

// Items that query in the split protocol: for each item's first label, the
// k-th item carrying it (k = 0, 1, ... in index order) when k % every == 0.
// Unlabelled items are never queries. every >= 2.
std::vector<int64_t> SplitQueries(absl::Span<const LabeledItem> items,
                                  int every);

struct NeighbourhoodEvalOptions {
  std::array<int, 2> cutoffs = {15, 150};
  // Empty: leave-one-out. Else the split's queries (strictly increasing).
  std::vector<int64_t> queries;
  int num_threads = 2;
};

// Evaluates one system. InvalidArgument for no parts, parts of differing
// item counts or bad dims, weights of the wrong count or all 0, bad
// neighbourhood options, or bad query indices.
absl::StatusOr<RetrievalReport> EvaluateNeighbourhoodSystem(
    absl::Span<const LabeledItem> items, absl::Span<const FusionPart> parts,
    const NeighbourhoodSystem& system, const NeighbourhoodEvalOptions& options);

// Fits `space` on raws[fit_rows] (all rows when fit_rows is empty) and
// projects every raw: the part of the space for the grid. Errors of Fit /
// ProjectBatch as they are; InvalidArgument for a bad row.
absl::StatusOr<FusionPart> FitAndProjectPart(
    const Space& space, absl::Span<const RawEmbedding> raws,
    absl::Span<const int64_t> fit_rows);

// Every system in order (a system's error is returned with its name).
absl::StatusOr<std::vector<SystemReport>> EvaluateNeighbourhoodGrid(
    absl::Span<const LabeledItem> items, absl::Span<const FusionPart> parts,
    absl::Span<const NeighbourhoodSystem> systems,
    const NeighbourhoodEvalOptions& options);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_NEIGHBOURHOOD_EVAL_H_
