#include "research/word_vectors.h"

#include <cmath>
#include <fstream>
#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace soundsearch {
namespace {

bool LooksBinary(absl::string_view line) {
  for (char c : line) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u == 0 || (u < 0x20 && u != '\t' && u != '\r')) return true;
  }
  return false;
}

// Parses word2vec text read one line at a time through next_line (false at
// the end of input).
absl::StatusOr<WordVectors> ParseLines(
    const std::function<bool(std::string*)>& next_line,
    const Word2VecOptions& options) {
  const auto error = [](int64_t line_number, absl::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("word2vec line ", line_number, ": ", what));
  };
  std::string line;
  int64_t line_number = 0;
  std::vector<absl::string_view> fields;

  // Header.
  bool have_header = false;
  while (next_line(&line)) {
    ++line_number;
    if (!absl::StripAsciiWhitespace(line).empty()) {
      have_header = true;
      break;
    }
  }
  if (!have_header) {
    return absl::InvalidArgumentError(
        "word2vec: empty input, expected a header \"count dim\"");
  }
  fields = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
  int64_t count = 0;
  int dim = 0;
  if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &count) ||
      !absl::SimpleAtoi(fields[1], &dim) || count <= 0 || dim <= 0) {
    return error(line_number,
                 LooksBinary(line)
                     ? "header must be \"count dim\" (this looks binary: only "
                       "the word2vec text format is supported)"
                     : "header must be two positive integers \"count dim\"");
  }

  WordVectors table(dim);
  std::vector<float> values(dim);
  const int64_t limit = options.max_words > 0 ? options.max_words : count;
  while (table.size() < limit && next_line(&line)) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (LooksBinary(line)) {
      return error(line_number,
                   "unexpected control bytes (only the word2vec text format "
                   "is supported, not the binary one)");
    }
    fields = absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    const std::string word(fields[0]);
    if (static_cast<int64_t>(fields.size()) != int64_t{dim} + 1) {
      return error(line_number,
                   absl::StrCat("word \"", word, "\" has ", fields.size() - 1,
                                " values, expected ", dim));
    }
    for (int k = 0; k < dim; ++k) {
      if (!absl::SimpleAtof(fields[k + 1], &values[k]) ||
          !std::isfinite(values[k])) {
        return error(line_number,
                     absl::StrCat("value \"", fields[k + 1], "\" of word \"",
                                  word, "\" is not a finite number"));
      }
    }
    const absl::Status added = table.Add(word, values);
    if (!added.ok()) return error(line_number, added.message());
  }
  if (options.max_words == 0) {
    bool more = false;
    while (next_line(&line)) {
      ++line_number;
      if (!absl::StripAsciiWhitespace(line).empty()) {
        more = true;
        break;
      }
    }
    if (more || table.size() != count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "word2vec: the header announces ", count, " vectors, found ",
          more ? "more" : absl::StrCat(table.size())));
    }
  }
  return table;
}

}  // namespace

absl::StatusOr<WordVectors> WordVectors::ParseWord2VecText(
    absl::string_view text, const Word2VecOptions& options) {
  size_t pos = 0;
  return ParseLines(
      [&](std::string* line) {
        if (pos >= text.size()) return false;
        size_t end = text.find('\n', pos);
        if (end == absl::string_view::npos) end = text.size();
        line->assign(text.data() + pos, end - pos);
        pos = end + 1;
        return true;
      },
      options);
}

absl::StatusOr<WordVectors> WordVectors::ReadWord2VecTextFile(
    const std::string& path, const Word2VecOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  absl::StatusOr<WordVectors> table = ParseLines(
      [&](std::string* line) {
        return static_cast<bool>(std::getline(in, *line));
      },
      options);
  if (!table.ok()) {
    return absl::Status(table.status().code(),
                        absl::StrCat(path, ": ", table.status().message()));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return table;
}

absl::Status WordVectors::Add(absl::string_view word,
                              absl::Span<const float> vector) {
  if (word.empty()) return absl::InvalidArgumentError("empty word");
  if (static_cast<int64_t>(vector.size()) != dim_) {
    return absl::InvalidArgumentError(absl::StrCat("vector of \"", word,
                                                   "\" has ", vector.size(),
                                                   " values, expected ", dim_));
  }
  auto [it, inserted] = index_.emplace(std::string(word), size());
  if (!inserted) {
    return absl::AlreadyExistsError(
        absl::StrCat("word \"", word, "\" repeated"));
  }
  words_.emplace_back(word);
  data_.insert(data_.end(), vector.begin(), vector.end());
  return absl::OkStatus();
}

std::optional<absl::Span<const float>> WordVectors::Find(
    absl::string_view word) const {
  auto it = index_.find(word);
  if (it == index_.end()) return std::nullopt;
  return absl::MakeConstSpan(data_.data() + it->second * dim_,
                             static_cast<size_t>(dim_));
}

}  // namespace soundsearch
