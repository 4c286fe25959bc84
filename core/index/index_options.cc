#include "soundsearch/index_options.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "soundsearch/index_kinds.h"

namespace soundsearch {
namespace {

absl::Status Range(const char* field, int64_t value, int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "index.", field, ": must be in [", lo, ", ", hi, "], got ", value));
}

}  // namespace

absl::Status ValidateIndexOptions(const IndexOptions& o) {
  if (FindIndexKind(o.kind) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index.type: unknown index kind \"", o.kind,
        "\" (registered: ", absl::StrJoin(IndexKindNames(), ", "), ")"));
  }
  if (auto s = Range("hnsw_m", o.hnsw_m, 2, 256); !s.ok()) return s;
  if (auto s =
          Range("hnsw_ef_construction", o.hnsw_ef_construction, 1, 1 << 20);
      !s.ok()) {
    return s;
  }
  if (auto s = Range("hnsw_ef_search", o.hnsw_ef_search, 1, 1 << 20); !s.ok()) {
    return s;
  }
  if (!(o.hnsw_rebuild_tombstone_fraction > 0 &&
        o.hnsw_rebuild_tombstone_fraction <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("index.hnsw_rebuild_tombstone_fraction: must be in "
                     "(0, 1], got ",
                     o.hnsw_rebuild_tombstone_fraction));
  }
  if (auto s = Range("ivf_nlist", o.ivf_nlist, 1, 1 << 24); !s.ok()) return s;
  if (auto s = Range("ivf_nprobe", o.ivf_nprobe, 1, o.ivf_nlist); !s.ok()) {
    return s;
  }
  if (o.ivf_train_min_vectors != 0 && o.ivf_train_min_vectors < o.ivf_nlist) {
    return absl::InvalidArgumentError(absl::StrCat(
        "index.ivf_train_min_vectors: must be 0 (39 * ivf_nlist) or >= "
        "ivf_nlist=",
        o.ivf_nlist, ", got ", o.ivf_train_min_vectors));
  }
  if (auto s =
          Range("sq_train_min_vectors", o.sq_train_min_vectors, 1, 1 << 30);
      !s.ok()) {
    return s;
  }
  if (auto s =
          Range("auto_hnsw_min_vectors", o.auto_hnsw_min_vectors, 1, 1 << 30);
      !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

}  // namespace soundsearch
