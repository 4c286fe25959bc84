#include "soundsearch/collection_words.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace soundsearch {
namespace {

bool IsStopWord(absl::string_view w) {
  static const std::set<std::string, std::less<>> kStop = {
      "and", "or", "of", "the", "a", "an", "by", "in", "on", "to", "with"};
  return kStop.count(w) > 0;
}

}  // namespace

std::string NormaliseWord(absl::string_view word) {
  std::string w = absl::AsciiStrToLower(word);
  absl::StrReplaceAll({{"_", " "}}, &w);
  std::vector<absl::string_view> parts =
      absl::StrSplit(w, ' ', absl::SkipEmpty());
  return absl::StrJoin(parts, " ");
}

std::vector<std::string> WordsOfSound(const SoundRecord& sound,
                                      const WordVectorOptions& options) {
  std::vector<std::string> out;
  if (sound.duration_seconds > options.max_clip_seconds) return out;
  std::set<std::string> seen;
  auto add = [&](std::string w) {
    if (!w.empty() && seen.insert(w).second) out.push_back(std::move(w));
  };
  if (options.use_tags) {
    for (const std::string& tag : sound.tags) add(NormaliseWord(tag));
  }
  if (options.use_labels) {
    for (const std::string& label : sound.class_labels) {
      const std::string phrase = NormaliseWord(label);
      add(phrase);
      if (!options.split_labels) continue;
      std::vector<std::string> words = absl::StrSplit(phrase, ' ');
      if (words.size() < 2) continue;
      for (std::string& w : words) {
        if (!IsStopWord(w)) add(std::move(w));
      }
    }
  }
  auto add_words = [&](const std::string& phrase) {
    std::vector<std::string> words = absl::StrSplit(phrase, ' ');
    if (words.size() < 2) return;
    for (std::string& w : words) {
      if (!IsStopWord(w)) add(std::move(w));
    }
  };
  if (options.use_auto_tags ||
      (options.auto_tags_when_untagged && sound.tags.empty() &&
       sound.class_labels.empty())) {
    for (const AutoTag& tag : sound.auto_tags) {
      const std::string phrase = NormaliseWord(tag.tag);
      add(phrase);
      if (!options.split_auto_tags) continue;
      std::vector<std::string> synonyms;
      for (absl::string_view part :
           absl::StrSplit(phrase, ',', absl::SkipWhitespace())) {
        synonyms.push_back(NormaliseWord(absl::StripAsciiWhitespace(part)));
      }
      for (const std::string& synonym : synonyms) {
        if (synonyms.size() > 1) add(synonym);
        add_words(synonym);
      }
    }
  }
  return out;
}

}  // namespace soundsearch
