// VectorIndex factory and option validation; Create and Load dispatch
// through the index kind table (index_kinds.h).
#include "soundsearch/vector_index.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "index/snapshot_file.h"
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
bool VectorIndex::PrefersWideBatches(bool) const { return false; }

absl::StatusOr<std::vector<float>> VectorIndex::Vector(int64_t) const {
  return absl::UnimplementedError("this index kind keeps no vector copies");
}

absl::StatusOr<LoadedVectorIndex> VectorIndex::Load(
    const std::string& path, const VectorIndexOptions& expected) {
  RETURN_IF_ERROR(ValidateVectorIndexOptions(expected));
  return FindIndexKind(expected.index.kind)->load(path, expected);
}

absl::StatusOr<SnapshotMarks> VectorIndex::ReadMarks(const std::string& path) {
  ASSIGN_OR_RETURN(VerifiedSnapshot snapshot, OpenVerifiedSnapshot(path));
  SnapshotMarks marks;
  marks.store_sequence = snapshot.header.store_sequence;
  marks.projection_version = snapshot.header.projection_version;
  return marks;
}

}  // namespace soundsearch
