// Evaluates several named systems (vectors + search function) on one labelled
// collection and renders the comparison as a markdown table (system x
// MAP@15 / MAP@150 / MR1, label-based).
#ifndef SOUNDSEARCH_RESEARCH_RETRIEVAL_SWEEP_H_
#define SOUNDSEARCH_RESEARCH_RETRIEVAL_SWEEP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/retrieval_eval.h"
#include "soundsearch/retrieval_report.h"

namespace soundsearch {

// One system under comparison, e.g. "mean-pca100-cosine".
struct EvalSystem {
  std::string name;                 // unique, non-empty
  absl::Span<const float> vectors;  // borrowed: items.size() x dim, row-major
  int dim = 0;
  Metric metric = Metric::kCosine;
};

struct SystemReport {
  std::string name;
  RetrievalReport report;
};

// Evaluates every system in order with EvaluateRetrieval(). InvalidArgument
// for an empty or repeated name; an evaluation error is returned with the
// system's name in front.
absl::StatusOr<std::vector<SystemReport>> EvaluateSystems(
    absl::Span<const LabeledItem> items, absl::Span<const EvalSystem> systems,
    const RetrievalEvalOptions& options = RetrievalEvalOptions());

// "| system | MAP@15 | MAP@150 | MR1 |" with the label-based (macro) scores,
// one row per report in order, the best value of each column in bold
// (highest MAP, lowest MR1). Cut-offs are taken from the first report.
std::string SweepTableMarkdown(absl::Span<const SystemReport> reports);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_RETRIEVAL_SWEEP_H_
