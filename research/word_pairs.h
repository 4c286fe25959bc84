// Word-relatedness benchmark files (MEN, WordSim353, SimLex-999 in the
// "w1 w2 score" form).
#ifndef SOUNDSEARCH_RESEARCH_WORD_PAIRS_H_
#define SOUNDSEARCH_RESEARCH_WORD_PAIRS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

// One rated pair; the score's scale is the dataset's (0-10, 0-50...).
struct WordPair {
  std::string first;
  std::string second;
  double score = 0.0;
};

// Parses lines of exactly three fields "w1 w2 score", separated by tabs
// and/or spaces; CRLF line ends are accepted; blank lines and lines whose
// first non-blank character is '#' are skipped. Words are kept as written.
// InvalidArgument, naming the 1-based line, for a line with another number
// of fields or a score that is not a finite number.
absl::StatusOr<std::vector<WordPair>> ParseWordPairs(absl::string_view text);

// Reads and parses a file. NotFound if it cannot be opened; parse errors
// carry the path.
absl::StatusOr<std::vector<WordPair>> ReadWordPairsFile(
    const std::string& path);

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_WORD_PAIRS_H_
