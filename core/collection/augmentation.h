// Database-side augmentation of a space's index (SpaceConfig::augment,
// docs/config.md "augment"): each sound's index vector is the normalised
// NeighbourhoodMean (soundsearch/neighbourhood.h) of its normalised projected
// vector and the normalised projected vectors of its `neighbours` nearest
// other sounds (cosine between projected vectors, ties by ascending id),
// weighted max(cosine, 0)^alpha. The stored raw vectors are never changed;
// query vectors are not augmented. This is the offline evaluation's
// augmentation (research/neighbourhood_eval.h) for one space.
//
// Thread-safety: plain functions; the indexes are thread-safe.
#ifndef SOUNDSEARCH_CORE_COLLECTION_AUGMENTATION_H_
#define SOUNDSEARCH_CORE_COLLECTION_AUGMENTATION_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "soundsearch/neighbourhood.h"
#include "soundsearch/vector_index.h"

namespace soundsearch {

// The whole collection at once: `projected` (a cosine index holding every
// sound's projected vector, with copies: flat) gives each of `ids` (all in
// it) its augmented vector, added to `target`. Searches in batches.
absl::Status AddAugmented(const VectorIndex& projected,
                          absl::Span<const int64_t> ids,
                          const NeighbourhoodOptions& options,
                          VectorIndex& target);

// A projected vector of a sound the database does not hold yet, e.g. one
// new sound. Its `options.neighbours` nearest among the hits of `search`
// (searched with the vector itself, `exclude` left out), re-scored by
// cosine against their projected vectors `projected_of` (NotFound: skipped),
// give the mean. The neighbours come from the current index (which may
// hold augmented vectors), so this equals the whole-collection result when
// that index ranks the raw neighbours alike; a refit recomputes every
// vector. Returns the normalised augmented vector.
using NeighbourSearchFn = std::function<absl::StatusOr<std::vector<SearchHit>>(
    absl::Span<const float> vector, int k)>;
using ProjectedVectorFn =
    std::function<absl::StatusOr<std::vector<float>>(uint64_t id)>;
absl::StatusOr<std::vector<float>> AugmentOne(
    std::vector<float> vector, const NeighbourhoodOptions& options,
    const NeighbourSearchFn& search, const ProjectedVectorFn& projected_of);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_COLLECTION_AUGMENTATION_H_
