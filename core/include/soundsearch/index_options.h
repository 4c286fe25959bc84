// IndexOptions: which nearest-neighbour index a space keeps and its
// parameters; one struct for the space config (its "index" object) and the
// index layer. Validated once, by ValidateIndexOptions.
#ifndef SOUNDSEARCH_INDEX_OPTIONS_H_
#define SOUNDSEARCH_INDEX_OPTIONS_H_

#include <string>

#include "absl/status/status.h"

namespace soundsearch {

// Value type; not synchronised. Every field is settable from the JSON config
// (docs/config.md); fields of other kinds are validated but not read.
struct IndexOptions {
  // The config's "type" key. A registered index kind (index_kinds.h):
  // "flat" (exact, the default),
  // "hnsw", "ivf", "sq8", "fp16" (scalar-quantised exhaustive scan, 1 or 2
  // bytes per dimension), "auto" (flat below auto_hnsw_min_vectors, hnsw
  // from there on) (FAISS); "torch_flat" (exact by libtorch, GPU when
  // available) where soundsearch_torch is linked and registered.
  std::string kind = "flat";

  // --- hnsw ---
  // Graph degree (links per node on upper layers; 2*M on the base layer),
  // [2, 256]. Fixed at build time; part of the snapshot's identity.
  int hnsw_m = 32;
  // Candidate list size while inserting, [1, 2^20]. Higher: better graph,
  // slower adds.
  int hnsw_ef_construction = 200;
  // Candidate list size while searching, [1, 2^20]. Raised to k (plus the
  // exclusions) per query when k is larger.
  int hnsw_ef_search = 64;
  // HNSW cannot remove vectors: removed and replaced ids become tombstones,
  // filtered out at search time. When tombstones exceed this fraction of the
  // stored vectors, the graph is rebuilt from the live vectors (off to the
  // side; searches keep being answered). In (0, 1].
  double hnsw_rebuild_tombstone_fraction = 0.25;

  // --- ivf ---
  // Inverted lists (k-means centroids), [1, 2^24]. Part of the snapshot's
  // identity.
  int ivf_nlist = 1024;
  // Lists visited per query, [1, ivf_nlist].
  int ivf_nprobe = 16;
  // Training policy: an IVF index answers exactly (flat search) until it
  // holds this many vectors; the Add that reaches it trains the quantizer on
  // all vectors then present and moves them into the inverted lists. Once
  // trained it stays trained (refit = build a new index and swap it in).
  // 0 means 39 * ivf_nlist (FAISS's minimum for a sound k-means); otherwise
  // >= ivf_nlist.
  int ivf_train_min_vectors = 0;

  // --- sq8 ---
  // An sq8 index answers exactly (float vectors) until it holds this many
  // vectors; the Add that reaches it trains the per-dimension ranges of the
  // 8-bit quantiser on them and encodes everything. [1, 2^30].
  int sq_train_min_vectors = 1000;

  // --- auto ---
  // An auto index is exact (flat) below this many vectors; the Add that
  // reaches it builds an HNSW graph (hnsw_* options) off to the side and
  // swaps it in; it stays HNSW afterwards. [1, 2^30].
  int auto_hnsw_min_vectors = 200000;
};

// OK, or InvalidArgument naming the field as the config does, e.g.
// "index.hnsw_m: must be in [2, 256], got 1", or "index.type: unknown index
// kind ..." listing the registered kinds.
absl::Status ValidateIndexOptions(const IndexOptions& options);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEX_OPTIONS_H_
