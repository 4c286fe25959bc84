#include "soundsearch/metric.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace soundsearch {

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kInnerProduct:
      return "inner_product";
    case Metric::kEuclidean:
      return "euclidean";
  }
  return "unknown";
}

absl::StatusOr<Metric> ParseMetric(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "cosine" || lower == "mcss") return Metric::kCosine;
  if (lower == "inner_product" || lower == "ip" || lower == "mips") {
    return Metric::kInnerProduct;
  }
  if (lower == "euclidean" || lower == "l2" || lower == "nns") {
    return Metric::kEuclidean;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown metric \"", name,
      "\" (expected \"cosine\", \"inner_product\" or \"euclidean\"; aliases "
      "mcss, ip, mips, l2, nns)"));
}

}  // namespace soundsearch
