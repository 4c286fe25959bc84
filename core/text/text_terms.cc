#include "soundsearch/text_terms.h"

#include <algorithm>
#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace soundsearch {
namespace {

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c >= 0x80;
}

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

bool HasVowel(absl::string_view s) {
  return std::any_of(s.begin(), s.end(), IsVowel);
}

constexpr std::array<absl::string_view, 27> kStopWords = {
    "a",   "an",   "and",  "are",  "as",   "at", "be",  "been", "by",
    "for", "from", "in",   "into", "is",   "it", "its", "of",   "on",
    "or",  "than", "that", "the",  "this", "to", "was", "were", "with"};

}  // namespace

std::vector<std::string> SplitWords(absl::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (IsWordByte(c)) {
      current.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a')
                                             : ch);
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

bool IsStopWord(absl::string_view lower_word) {
  return std::find(kStopWords.begin(), kStopWords.end(), lower_word) !=
         kStopWords.end();
}

std::string StemTerm(absl::string_view lower_word) {
  std::string s(lower_word);
  if (s.size() <= 3) return s;
  // Plurals.
  if (absl::EndsWith(s, "ies") && s.size() > 4) {
    s.resize(s.size() - 3);
    s.push_back('y');
  } else if (absl::EndsWith(s, "sses")) {
    s.resize(s.size() - 2);
  } else if (absl::EndsWith(s, "es") &&
             (absl::EndsWith(s, "ses") || absl::EndsWith(s, "xes") ||
              absl::EndsWith(s, "zes") || absl::EndsWith(s, "ches") ||
              absl::EndsWith(s, "shes"))) {
    s.resize(s.size() - 2);
  } else if (absl::EndsWith(s, "s") && !absl::EndsWith(s, "ss") &&
             !absl::EndsWith(s, "us") && !absl::EndsWith(s, "is")) {
    s.resize(s.size() - 1);
  }
  // -ing forms.
  if (absl::EndsWith(s, "ing")) {
    const absl::string_view stem = absl::string_view(s).substr(0, s.size() - 3);
    if (stem.size() >= 3 && HasVowel(stem)) {
      s.resize(stem.size());
      const char last = s.back();
      if (s.size() >= 4 && last == s[s.size() - 2] && !IsVowel(last) &&
          last != 'l' && last != 's' && last != 'z') {
        s.pop_back();
      }
    }
  }
  if (s.size() > 3 && s.back() == 'e') s.pop_back();
  return s;
}

std::vector<std::string> TextTerms(absl::string_view text) {
  std::vector<std::string> terms;
  for (const std::string& word : SplitWords(text)) {
    if (IsStopWord(word)) continue;
    terms.push_back(StemTerm(word));
  }
  return terms;
}

std::string TermKey(absl::string_view text) {
  return absl::StrJoin(TextTerms(text), " ");
}

}  // namespace soundsearch
