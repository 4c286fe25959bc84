#include "research/word_pairs.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace soundsearch {

absl::StatusOr<std::vector<WordPair>> ParseWordPairs(absl::string_view text) {
  std::vector<WordPair> pairs;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);  // also a trailing CR
    if (line.empty() || line.front() == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.size() != 3) {
      return absl::InvalidArgumentError(absl::StrCat("word pairs line ",
                                                     line_number,
                                                     ": expected 3 fields "
                                                     "\"w1 w2 score\", found ",
                                                     fields.size()));
    }
    WordPair pair{std::string(fields[0]), std::string(fields[1]), 0.0};
    if (!absl::SimpleAtod(fields[2], &pair.score) ||
        !std::isfinite(pair.score)) {
      return absl::InvalidArgumentError(
          absl::StrCat("word pairs line ", line_number, ": score \"", fields[2],
                       "\" is not a number"));
    }
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

absl::StatusOr<std::vector<WordPair>> ReadWordPairsFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::vector<WordPair>> pairs = ParseWordPairs(text.str());
  if (!pairs.ok()) {
    return absl::Status(pairs.status().code(),
                        absl::StrCat(path, ": ", pairs.status().message()));
  }
  return pairs;
}

}  // namespace soundsearch
