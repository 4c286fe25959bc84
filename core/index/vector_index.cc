// VectorIndex factory, option parsing and validation.
#include "soundsearch/vector_index.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "index/faiss_vector_index.h"
#include "neural/torch_flat_index.h"
#include "soundsearch/status_macros.h"

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

const char* IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kFlat:
      return "flat";
    case IndexKind::kHnsw:
      return "hnsw";
    case IndexKind::kIvf:
      return "ivf";
    case IndexKind::kTorchFlat:
      return "torch_flat";
  }
  return "unknown";
}

absl::StatusOr<Metric> ParseMetric(const std::string& name) {
  for (Metric m :
       {Metric::kCosine, Metric::kInnerProduct, Metric::kEuclidean}) {
    if (name == MetricName(m)) return m;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown metric '", name, "' (cosine, inner_product, euclidean)"));
}

absl::StatusOr<IndexKind> ParseIndexKind(const std::string& name) {
  for (IndexKind k : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kIvf,
                      IndexKind::kTorchFlat}) {
    if (name == IndexKindName(k)) return k;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown index kind '", name, "' (flat, hnsw, ivf, torch_flat)"));
}

absl::Status ValidateVectorIndexOptions(const VectorIndexOptions& o) {
  auto bad = [](const char* field, const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("VectorIndexOptions.", field, ": ", why));
  };
  if (o.dim < 1 || o.dim > 65536) {
    return bad("dim", absl::StrCat("must be in [1, 65536], got ", o.dim));
  }
  if (o.metric != Metric::kCosine && o.metric != Metric::kInnerProduct &&
      o.metric != Metric::kEuclidean) {
    return bad("metric", "unknown value");
  }
  if (o.kind != IndexKind::kFlat && o.kind != IndexKind::kHnsw &&
      o.kind != IndexKind::kIvf && o.kind != IndexKind::kTorchFlat) {
    return bad("kind", "unknown value");
  }
  if (o.hnsw_m < 2 || o.hnsw_m > 256) {
    return bad("hnsw_m", absl::StrCat("must be in [2, 256], got ", o.hnsw_m));
  }
  if (o.hnsw_ef_construction < 1) {
    return bad("hnsw_ef_construction",
               absl::StrCat("must be >= 1, got ", o.hnsw_ef_construction));
  }
  if (o.hnsw_ef_search < 1) {
    return bad("hnsw_ef_search",
               absl::StrCat("must be >= 1, got ", o.hnsw_ef_search));
  }
  if (!(o.hnsw_rebuild_tombstone_fraction > 0 &&
        o.hnsw_rebuild_tombstone_fraction <= 1)) {
    return bad("hnsw_rebuild_tombstone_fraction",
               absl::StrCat("must be in (0, 1], got ",
                            o.hnsw_rebuild_tombstone_fraction));
  }
  if (o.ivf_nlist < 1) {
    return bad("ivf_nlist", absl::StrCat("must be >= 1, got ", o.ivf_nlist));
  }
  if (o.ivf_nprobe < 1 || o.ivf_nprobe > o.ivf_nlist) {
    return bad("ivf_nprobe",
               absl::StrCat("must be in [1, ivf_nlist=", o.ivf_nlist, "], got ",
                            o.ivf_nprobe));
  }
  if (o.ivf_train_min_vectors != 0 && o.ivf_train_min_vectors < o.ivf_nlist) {
    return bad("ivf_train_min_vectors",
               absl::StrCat("must be 0 (39 * ivf_nlist) or >= ivf_nlist=",
                            o.ivf_nlist, ", got ", o.ivf_train_min_vectors));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Create(
    const VectorIndexOptions& options) {
  if (options.kind == IndexKind::kTorchFlat) {
    ASSIGN_OR_RETURN(std::unique_ptr<TorchFlatIndex> index,
                     TorchFlatIndex::Create(options));
    return std::unique_ptr<VectorIndex>(std::move(index));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<FaissVectorIndex> index,
                   FaissVectorIndex::Create(options));
  return std::unique_ptr<VectorIndex>(std::move(index));
}

absl::StatusOr<LoadedVectorIndex> VectorIndex::Load(
    const std::string& path, const VectorIndexOptions& expected) {
  if (expected.kind == IndexKind::kTorchFlat) {
    return TorchFlatIndex::Load(path, expected);
  }
  return FaissVectorIndex::Load(path, expected);
}

}  // namespace soundsearch
