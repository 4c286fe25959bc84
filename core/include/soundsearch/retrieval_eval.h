// Retrieval evaluation of a labelled collection (docs/evaluation.md): every
// clip queries the collection with itself left out; label-based (macro)
// MAP@N and MR1, and instance-based (micro) ones.
//
// Thread-safety: the functions are re-entrant; they only read their inputs.
#ifndef SOUNDSEARCH_RETRIEVAL_EVAL_H_
#define SOUNDSEARCH_RETRIEVAL_EVAL_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "soundsearch/metric.h"
#include "soundsearch/retrieval_report.h"

namespace soundsearch {

// Rankings are by decreasing similarity under the metric (metric.h); equal
// scores are ranked by increasing item index, so results are deterministic.

// One clip of the collection. Labels are class names; duplicates are ignored;
// an empty label string is InvalidArgument. A clip without labels is allowed
// (it is ranked, never relevant, and left out as a micro query).
struct LabeledItem {
  std::string id;
  std::vector<std::string> labels;
};

struct RetrievalEvalOptions {
  // The N of the two MAP@N figures; each > 0.
  std::array<int, 2> cutoffs = {15, 150};
  // Reference-compatible mode: the AP@N denominator is min(N, R + 1) instead
  // of min(N, R), R = relevant items besides the query, as the published
  // evaluation code counts the query itself. Differs only where R < N.
  bool reference_denominator = false;
  // Also compute the instance-based (micro) scores.
  bool micro = true;
  // Worker threads for EvaluateRetrieval; 0 = hardware concurrency.
  int num_threads = 0;
};

// Exact, brute-force evaluation of `vectors` under `metric`.
//
// vectors: row-major items.size() x dim floats, row i is items[i]; borrowed
//   for the call. Must be finite. Under kCosine a zero vector has similarity
//   0 to everything.
// Errors: InvalidArgument for no items, dim <= 0, a size mismatch,
//   non-finite values, a bad cut-off or an empty label.
// Cost: items^2 * dim multiply-adds plus O(items^2) ranking work; memory
//   O(items * (dim + labels)) plus a bounded block of scores per thread.
absl::StatusOr<RetrievalReport> EvaluateRetrieval(
    absl::Span<const LabeledItem> items, absl::Span<const float> vectors,
    int dim, Metric metric,
    const RetrievalEvalOptions& options = RetrievalEvalOptions());

// Full ranking of the collection for one query: fills *ranking with item
// indices, best first. It must hold every index other than `query` exactly
// once; `query` itself may appear and is skipped.
using RankingFn =
    std::function<absl::Status(int64_t query, std::vector<int64_t>* ranking)>;

// Evaluates externally produced rankings (a search engine under test). `rank`
// is called once per item, from the calling thread, in index order; its
// errors are returned as they are; a ranking that is not a permutation as
// described is InvalidArgument. options.num_threads is not used.
absl::StatusOr<RetrievalReport> EvaluateRankings(
    absl::Span<const LabeledItem> items, const RankingFn& rank,
    const RetrievalEvalOptions& options = RetrievalEvalOptions());

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RETRIEVAL_EVAL_H_
