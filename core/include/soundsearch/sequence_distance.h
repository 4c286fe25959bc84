// Distances between symbol sequences, for re-ranking spoken queries by their
// recognised phones (SpaceConfig::rerank, docs/speech.md).
//
// Thread-safety: pure functions.
#ifndef SOUNDSEARCH_SEQUENCE_DISTANCE_H_
#define SOUNDSEARCH_SEQUENCE_DISTANCE_H_

#include <string>

#include "absl/types/span.h"

namespace soundsearch {

// Levenshtein distance (unit insert, delete, substitute) divided by the
// longer length: 0 for equal sequences, 1 for sequences with nothing in
// common, and 1 when either is empty (nothing recognised is no evidence of
// similarity). Cost O(|a| |b|) time, O(min) memory.
double NormalisedEditDistance(absl::Span<const std::string> a,
                              absl::Span<const std::string> b);

// The re-ranked score of a hit: (1 - weight) * index_score +
// weight * (1 - NormalisedEditDistance(query, hit)); weight in [0, 1].
double PhoneRerankScore(double index_score, double weight,
                        absl::Span<const std::string> query,
                        absl::Span<const std::string> hit);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_SEQUENCE_DISTANCE_H_
