#include "index/add_batch_check.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace soundsearch {

absl::Status CheckAddBatch(absl::Span<const int64_t> ids,
                           absl::Span<const float> vectors, int dim) {
  const size_t want = ids.size() * static_cast<size_t>(dim);
  if (vectors.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Add: ", ids.size(), " ids need ", want, " floats, got ",
        vectors.size()));
  }
  absl::flat_hash_set<int64_t> seen;
  seen.reserve(ids.size());
  for (int64_t id : ids) {
    if (id < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Add: id ", id, " is negative; ids must be >= 0"));
    }
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("Add: id ", id, " appears twice in the batch"));
    }
  }
  return absl::OkStatus();
}

}  // namespace soundsearch
