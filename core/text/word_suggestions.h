// Suggestions for a text query that matched nothing: the known words
// nearest to the query's words by edit distance.
#ifndef SOUNDSEARCH_CORE_TEXT_WORD_SUGGESTIONS_H_
#define SOUNDSEARCH_CORE_TEXT_WORD_SUGGESTIONS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace soundsearch {

// Edit distance with adjacent transpositions (optimal string alignment):
// "dgo" -> "dog" is 1.
int EditDistance(absl::string_view a, absl::string_view b);

// Up to `max` (>= 0) distinct words of `vocabulary` (phrases are split into
// words, SplitWords) nearest to any of `words`: by edit distance, then by
// which query word comes first, then alphabetically. A word of `words`
// itself is never suggested.
std::vector<std::string> NearestKnownWords(
    const std::vector<std::string>& words,
    const std::vector<std::string>& vocabulary, int max);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_TEXT_WORD_SUGGESTIONS_H_
