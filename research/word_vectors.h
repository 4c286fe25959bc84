// WordVectors: an in-memory table word -> vector, and its reader for the
// word2vec text format (header "count dim", then "word v1 ... vdim" per
// line, values separated by spaces).
//
// Thread-safety: const methods may run concurrently; Add() may not run
// concurrently with anything.
#ifndef SOUNDSEARCH_RESEARCH_WORD_VECTORS_H_
#define SOUNDSEARCH_RESEARCH_WORD_VECTORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace soundsearch {

struct Word2VecOptions {
  // Read only the first max_words vectors (word2vec files are sorted by
  // decreasing frequency); 0 reads all and checks the header's count.
  int64_t max_words = 0;
};

class WordVectors {
 public:
  // dim > 0 (not checked here; the readers validate it).
  explicit WordVectors(int dim) : dim_(dim) {}

  // Parses word2vec text. Errors are InvalidArgument and name the 1-based
  // line: a missing or malformed header (two positive integers), a line
  // with other than dim values, a value that is not a finite number, a
  // repeated word, or fewer / more vectors than the header announces (when
  // max_words is 0). Bytes that look binary get a hint that the binary
  // word2vec format is not supported. CRLF and trailing spaces are fine;
  // blank lines are skipped.
  static absl::StatusOr<WordVectors> ParseWord2VecText(
      absl::string_view text, const Word2VecOptions& options = {});
  // The same, streaming a file line by line. NotFound if it cannot be
  // opened; parse errors carry the path.
  static absl::StatusOr<WordVectors> ReadWord2VecTextFile(
      const std::string& path, const Word2VecOptions& options = {});

  // Adds a word. InvalidArgument if vector.size() != dim() or the word is
  // empty; AlreadyExists if the word is present.
  absl::Status Add(absl::string_view word, absl::Span<const float> vector);

  int dim() const { return dim_; }
  int64_t size() const { return static_cast<int64_t>(words_.size()); }
  // Words in insertion order.
  const std::vector<std::string>& words() const { return words_; }

  // The word's vector (dim() floats, valid until the next Add), or nullopt.
  // Exact, case-sensitive match.
  std::optional<absl::Span<const float>> Find(absl::string_view word) const;

 private:
  int dim_;
  std::vector<std::string> words_;
  std::vector<float> data_;  // size() x dim, row-major
  absl::flat_hash_map<std::string, int64_t> index_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_RESEARCH_WORD_VECTORS_H_
