// VectorIndex factory and option validation; Create and Load dispatch
// through the index kind table (index_kinds.h).
#include "soundsearch/vector_index.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "soundsearch/index_kinds.h"
#include "soundsearch/status_macros.h"

namespace soundsearch {

absl::Status ValidateVectorIndexOptions(const VectorIndexOptions& o) {
  if (o.dim < 1 || o.dim > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("dim: must be in [1, 65536], got ", o.dim));
  }
  if (o.metric != Metric::kCosine && o.metric != Metric::kInnerProduct &&
      o.metric != Metric::kEuclidean) {
    return absl::InvalidArgumentError("metric: unknown value");
  }
  return ValidateIndexOptions(o.index);
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Create(
    const VectorIndexOptions& options) {
  RETURN_IF_ERROR(ValidateVectorIndexOptions(options));
  return FindIndexKind(options.index.kind)->create(options);
}

bool VectorIndex::PrefersBatches(bool) const { return false; }

absl::StatusOr<std::vector<float>> VectorIndex::Vector(int64_t) const {
  return absl::UnimplementedError("this index kind keeps no vector copies");
}

absl::StatusOr<LoadedVectorIndex> VectorIndex::Load(
    const std::string& path, const VectorIndexOptions& expected) {
  RETURN_IF_ERROR(ValidateVectorIndexOptions(expected));
  return FindIndexKind(expected.index.kind)->load(path, expected);
}

}  // namespace soundsearch
