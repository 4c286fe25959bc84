// The table of vector index kinds, looked up by name (IndexOptions::kind).
// Core registers its FAISS kinds ("flat", "hnsw", "ivf") itself; a library
// that brings another kind registers it before the first index of that kind
// is created or loaded (soundsearch_torch: "torch_flat", see
// soundsearch/torch_kinds.h). VectorIndex::Create and Load dispatch through
// this table.
#ifndef SOUNDSEARCH_INDEX_KINDS_H_
#define SOUNDSEARCH_INDEX_KINDS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {

struct IndexKind {
  std::string name;  // [a-z0-9_]+, unique
  // Written in every snapshot header of this kind (docs/index.md) so that a
  // snapshot is never read as another kind. Unique; never reused.
  uint32_t snapshot_code = 0;
  // An empty index. `options` are valid (ValidateVectorIndexOptions) and
  // options.index.kind == name.
  std::function<absl::StatusOr<std::unique_ptr<VectorIndex>>(
      const VectorIndexOptions& options)>
      create;
  // Reads a snapshot written by this kind's Save (statuses as
  // VectorIndex::Load).
  std::function<absl::StatusOr<LoadedVectorIndex>(
      const std::string& path, const VectorIndexOptions& expected)>
      load;
};

// Adds `kind` to the table. AlreadyExists when its name or snapshot code is
// taken (registering the same library twice is an error the caller may
// ignore); InvalidArgument for an empty name or a missing function.
// Thread-safe.
absl::Status RegisterIndexKind(IndexKind kind);

// The kind named `name`, or nullptr. The pointer stays valid for the life of
// the process. Thread-safe.
const IndexKind* FindIndexKind(absl::string_view name);

// Registered names in registration order (core's first). Thread-safe.
std::vector<std::string> IndexKindNames();

}  // namespace soundsearch

#endif  // SOUNDSEARCH_INDEX_KINDS_H_
