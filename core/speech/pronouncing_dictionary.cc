#include "speech/pronouncing_dictionary.h"

#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace soundsearch {

absl::StatusOr<std::unique_ptr<PronouncingDictionary>>
PronouncingDictionary::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("pronouncing dictionary ", path, ": cannot be opened"));
  }
  std::unique_ptr<PronouncingDictionary> dict(new PronouncingDictionary());
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (fields.empty()) continue;
    if (fields.size() < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("pronouncing dictionary ", path, " line ", number,
                       ": \"", fields[0], "\" has no phones"));
    }
    absl::string_view word = fields[0];
    // "word(2)": a further pronunciation of "word".
    if (word.size() > 3 && word.back() == ')') {
      const size_t open = word.rfind('(');
      if (open != absl::string_view::npos && open > 0) {
        word = word.substr(0, open);
      }
    }
    fields.erase(fields.begin());
    dict->entries_[absl::AsciiStrToLower(word)].push_back(
        absl::StrJoin(fields, " "));
  }
  if (dict->entries_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pronouncing dictionary ", path, ": no pronunciation in it"));
  }
  return dict;
}

std::vector<std::vector<std::string>> PronouncingDictionary::Find(
    absl::string_view word) const {
  std::vector<std::vector<std::string>> out;
  auto it = entries_.find(absl::AsciiStrToLower(word));
  if (it == entries_.end()) return out;
  for (const std::string& joined : it->second) {
    out.push_back(absl::StrSplit(joined, ' '));
  }
  return out;
}

}  // namespace soundsearch
