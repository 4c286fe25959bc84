// PronouncingDictionary: a CMU-style pronouncing dictionary (the
// pocketsphinx-en-us package's cmudict-en-us.dict), read as text without
// PocketSphinx, so that a text query's words become the phone sequences the
// allphone search recognises (docs/speech.md, "Text queries"). Private to
// soundsearch_speech.
//
// Format: one pronunciation a line, "word PH1 PH2 ...", separated by spaces
// or tabs; further pronunciations of a word are named "word(2)", "word(3)";
// empty lines are skipped. Words are matched lower-cased.
//
// Thread-safety: immutable after Load; Find may be called from any thread.
#ifndef SOUNDSEARCH_CORE_SPEECH_PRONOUNCING_DICTIONARY_H_
#define SOUNDSEARCH_CORE_SPEECH_PRONOUNCING_DICTIONARY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace soundsearch {

class PronouncingDictionary {
 public:
  // Reads `path`. NotFound if it cannot be opened; InvalidArgument naming
  // the line for a line with a word and no phone; InvalidArgument for a file
  // with no pronunciation.
  static absl::StatusOr<std::unique_ptr<PronouncingDictionary>> Load(
      const std::string& path);

  // The pronunciations of `word` (matched lower-cased), the file's first
  // one first, each a non-empty phone sequence; empty when the word is not
  // in the dictionary.
  std::vector<std::vector<std::string>> Find(absl::string_view word) const;

  size_t size() const { return entries_.size(); }

 private:
  PronouncingDictionary() = default;
  // word -> its pronunciations, each the phones joined by single spaces (a
  // third of the memory of split phones for the 134,000 words).
  absl::flat_hash_map<std::string, std::vector<std::string>> entries_;
};

}  // namespace soundsearch

#endif  // SOUNDSEARCH_CORE_SPEECH_PRONOUNCING_DICTIONARY_H_
