// Metric: the search function of a space, one enum for every layer (the
// space config, the vector index, the evaluation maths), as faiss has one
// MetricType.
#ifndef SOUNDSEARCH_METRIC_H_
#define SOUNDSEARCH_METRIC_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// Rankings are by decreasing similarity under every metric (see the score
// convention in vector_index.h). The values are stored in index snapshots:
// never renumber them.
enum class Metric {
  // MCSS, the default: cosine similarity; vectors are L2-normalised.
  kCosine = 0,
  // MIPS: raw inner product, no normalisation.
  kInnerProduct = 1,
  // NNS: increasing Euclidean distance, no normalisation.
  kEuclidean = 2,
};

// "cosine", "inner_product" or "euclidean": the names written in config
// files, reports and the API.
const char* MetricName(Metric metric);

// Accepts the names above and the aliases of the literature, in any case:
// "mcss", "ip" / "mips", "l2" / "nns". InvalidArgument listing them otherwise.
absl::StatusOr<Metric> ParseMetric(absl::string_view name);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_METRIC_H_
