// Word-relatedness evaluation: Spearman correlation between human ratings
// and the cosine similarity of word vectors, on the pairs whose two words
// both have a vector, with the coverage reported.
#ifndef SOUNDSEARCH_RESEARCH_WORD_SIMILARITY_H_
#define SOUNDSEARCH_RESEARCH_WORD_SIMILARITY_H_

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "research/word_pairs.h"
#include "research/word_vectors.h"

namespace soundsearch {

// The vector of a word, or nullopt when the word is not covered. The span
// only has to stay valid until the lookup is called again (callers copy it).
// All vectors of one lookup must have the same length.
using WordVectorLookup =
    std::function<std::optional<absl::Span<const float>>(absl::string_view)>;

// A lookup into `table` (borrowed: it must outlive the lookup).
WordVectorLookup LookupIn(const WordVectors& table);

// Cosine similarity; 0 when either vector has norm 0. a and b must have the
// same length (only the common prefix is read otherwise).
double CosineSimilarity(absl::Span<const float> a, absl::Span<const float> b);

struct WordSimilarityResult {
  // Spearman's rho on the covered pairs; nullopt when it is undefined (fewer
  // than 2 covered pairs, or constant ratings or similarities).
  std::optional<double> spearman;
  int64_t num_pairs = 0;    // pairs given
  int64_t num_covered = 0;  // pairs whose two words have vectors
  double coverage = 0.0;    // num_covered / num_pairs; 0 for no pairs
};

// Each distinct word is looked up once. InvalidArgument if lookup is empty
// or its vectors differ in length.
absl::StatusOr<WordSimilarityResult> EvaluateWordSimilarity(
    absl::Span<const WordPair> pairs, const WordVectorLookup& lookup);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_WORD_SIMILARITY_H_
