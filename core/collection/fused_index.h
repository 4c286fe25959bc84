// The vectors and the late-fusion search of a fused space (SpaceConfig::
// fusion, docs/config.md "fusion"). A fused vector is the concatenation, over
// the parts, of scale_p * (the part's vector / its norm), scale_p =
// sqrt(w_p) with the weights normalised to sum 1: its cosine with another
// fused vector is sum_p w_p cos_p. LateFusionIndex searches such vectors
// without an index of its own: each part's top N (N = candidates, or
// max(4 k, 100)) by the query's part, merged, and every candidate re-scored
// exactly in every part (cosine against the part's vector of the sound).
//
// Thread-safety: FuseVectors is a plain function; a LateFusionIndex is
// immutable (it reads the parts' views, which are thread-safe) and may be
// searched from any thread.
#ifndef SOUNDSEARCH_CORE_COLLECTION_FUSED_INDEX_H_
#define SOUNDSEARCH_CORE_COLLECTION_FUSED_INDEX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {

// sqrt of the weights normalised to sum 1 (the caller validated them).
std::vector<float> FusionScales(absl::Span<const float> weights);

// The fused vector of one sound from its parts' vectors (in part order, any
// norm; a zero part stays zero). InvalidArgument when the counts differ.
absl::StatusOr<std::vector<float>> FuseVectors(
    absl::Span<const std::vector<float>> parts, absl::Span<const float> scales);

// One part of a late fusion: its current index, its vector of a sound (the
// index's copy or the projected stored vector; NotFound when it has none)
// and its scale.
struct LateFusionPart {
  std::shared_ptr<const VectorIndex> index;  // the part's view's index
  std::function<absl::StatusOr<std::vector<float>>(uint64_t id)> vector;
  float scale = 0;
};

class LateFusionIndex : public VectorIndex {
 public:
  // `candidates` as SpaceFusion::candidates (0: max(4 k, 100)).
  LateFusionIndex(std::vector<LateFusionPart> parts, int candidates);

  // Not an index that holds vectors: Add is FailedPrecondition, Remove
  // removes nothing (the parts' indexes hold the sounds), Save is
  // Unimplemented.
  absl::Status Add(absl::Span<const int64_t> ids,
                   absl::Span<const float> vectors) override;
  absl::StatusOr<int64_t> Remove(absl::Span<const int64_t> ids) override;
  // Scores are cosines of the fused vectors (score convention of
  // vector_index.h): sum_p scale_p |q_p| cos(q_p, x_p) / |q| over the
  // query's parts q_p; exactly sum_p w_p cos_p for a fused query vector.
  // Ties by ascending id. Exact whenever every hit is among some part's
  // top N (the default N is 4 k, at least 100).
  absl::StatusOr<std::vector<SearchHit>> Search(
      absl::Span<const float> query,
      const SearchOptions& options) const override;
  absl::StatusOr<std::vector<std::vector<SearchHit>>> SearchBatch(
      absl::Span<const float> queries, const SearchOptions& options,
      absl::Span<const int64_t> exclude_per_query = {}) const override;
  // The fused vector of `id` from its parts' vectors.
  absl::StatusOr<std::vector<float>> Vector(int64_t id) const override;
  absl::Status Save(const std::string& path,
                    const SnapshotMarks& marks) const override;
  // The first part's size (every sound has a vector in every part).
  int64_t size() const override;
  bool Contains(int64_t id) const override;
  const VectorIndexOptions& options() const override { return options_; }
  size_t MemoryBytes() const override { return 0; }
  int64_t tombstones() const override { return 0; }
  bool trained() const override { return true; }

 private:
  std::vector<LateFusionPart> parts_;
  std::vector<int> offsets_;  // of each part in a fused vector
  int candidates_;
  VectorIndexOptions options_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_FUSED_INDEX_H_
